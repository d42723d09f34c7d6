import { PageHeader } from "../components/PageHeader";
import { RunList } from "../components/RunList";
import { navigate } from "../router";

export function RunsPage() {
  return (
    <section>
      <PageHeader title="Runs">
        <button type="button" class="primary" onClick={() => navigate("/runs/new")}>
          Create run
        </button>
      </PageHeader>
      <RunList />
    </section>
  );
}
