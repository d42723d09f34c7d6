import { PageHeader } from "../components/PageHeader";
import { RecurringRunList } from "../components/RecurringRunList";
import { navigate } from "../router";

export function RecurringRunsPage() {
  return (
    <section>
      <PageHeader title="Recurring runs">
        <button type="button" class="primary" onClick={() => navigate("/runs/new?recurring=1")}>
          Create recurring run
        </button>
      </PageHeader>
      <RecurringRunList />
    </section>
  );
}
