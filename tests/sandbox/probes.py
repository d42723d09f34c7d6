"""Components that try something a sandboxed task must not do, and say what happened.

Each returns ``"ok: ..."`` when it managed, ``"refused: <exception>"`` when it was stopped, so a test reads
the outcome from the task's output and the run still shows the task's state."""

from __future__ import annotations

from sluice import dsl


@dsl.component
def read_file(path: str) -> str:
    try:
        with open(path, "rb") as source:
            return f"ok: read {len(source.read())} bytes"
    except OSError as error:
        return f"refused: {type(error).__name__}: {error}"


@dsl.component
def write_file(path: str) -> str:
    try:
        with open(path, "w") as target:
            target.write("escaped")
        return "ok: wrote"
    except OSError as error:
        return f"refused: {type(error).__name__}: {error}"


@dsl.component
def connect(port: int) -> str:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return "ok: connected"
    except OSError as error:
        return f"refused: {type(error).__name__}: {error}"


@dsl.component
def processes(victim: int) -> str:
    import os
    import signal

    visible = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    try:
        os.kill(victim, signal.SIGKILL)
        killed = "ok: killed"
    except OSError as error:
        killed = f"refused: {type(error).__name__}"
    return f"{killed}; pids {visible}"


@dsl.component
def devices() -> str:
    import os

    nodes = sorted(name for name in os.listdir("/dev") if name.startswith("nvidia"))
    return f"{os.environ.get('CUDA_VISIBLE_DEVICES')}|{','.join(nodes)}"


@dsl.component
def allocate(megabytes: int) -> str:
    block = bytearray(megabytes * 1024 * 1024)
    return f"ok: {len(block)}"


@dsl.component
def fork_bomb() -> int:
    import os
    import time

    children = 0
    while children < 100_000:
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
    print(f"forked {children} children before the process limit stopped us", flush=True)
    return children


@dsl.component
def produce(out: dsl.Output[dsl.Dataset]):
    with open(out.path, "w") as target:
        target.write("inputs are readable")


@dsl.component
def consume(data: dsl.Input[dsl.Dataset]) -> str:
    with open(data.path) as source:
        text = source.read()
    try:
        with open(data.path, "w") as target:
            target.write("changed")
        return text + "; input writable!"
    except OSError:
        return text + "; input read-only"


@dsl.component
def whoami() -> str:
    import os

    return f"{os.getuid()} {os.getcwd()}"


@dsl.container_component
def link_out(target: str, copied: dsl.OutputPath(str)):
    """Tries to make the engine read a file for it: an output parameter that is a link to ``target``."""
    return dsl.ContainerSpec(
        image="busybox",
        command=["sh", "-c", 'mkdir -p "$(dirname "$1")" && ln -s "$0" "$1"'],
        args=[target, copied],
    )


@dsl.component
def plant_link(folder: str) -> str:
    import os

    os.symlink("/", os.path.join(folder, "escape"))
    return "planted"
