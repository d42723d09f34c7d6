import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { Link } from "../router";

export function PageHeader({
  title,
  crumbs = [],
  children,
}: {
  title: ComponentChildren;
  crumbs?: Array<{ href: string; label: string }>;
  children?: ComponentChildren;
}) {
  useEffect(() => {
    if (typeof title === "string") document.title = `${title} · Sluice`;
  }, [title]);
  return (
    <header class="page-header">
      <div>
        {crumbs.length ? (
          <nav class="crumbs" aria-label="Breadcrumb">
            {crumbs.map((crumb) => (
              <span key={crumb.href}>
                <Link href={crumb.href}>{crumb.label}</Link> /{" "}
              </span>
            ))}
          </nav>
        ) : null}
        <h1>{title}</h1>
      </div>
      <div class="actions">{children}</div>
    </header>
  );
}
