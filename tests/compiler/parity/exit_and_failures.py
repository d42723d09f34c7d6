"""Exit handlers with parameters, after() on an exit handler group, ignore_upstream_failure with status."""

from sluice import dsl


@dsl.component
def work(text: str) -> str:
    return text


@dsl.component
def cleanup(status: dsl.PipelineTaskFinalStatus, note: str = "done"):
    print(status.state, note)


@dsl.component
def after_all(text: str = "x"):
    print(text)


@dsl.pipeline(name="exit-and-failures")
def exit_and_failures(message: str = "hello"):
    final = cleanup(note=message)
    with dsl.ExitHandler(final) as handler:
        first = work(text=message)
        with dsl.If(first.output == "hello"):
            work(text="inside")
        with dsl.ParallelFor(["a", "b"]) as letter:
            work(text=letter)
    after_all(text="later").after(handler)
    risky = work(text="risky")
    cleanup(note="status").after(risky).ignore_upstream_failure()
    after_all().after(risky)
