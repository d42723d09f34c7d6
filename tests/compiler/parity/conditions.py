"""Conditions on every operand type, Condition nested in loops, type promotion, If/Elif without Else."""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: B006, E712, SIM117

from sluice import dsl


@dsl.component
def flip() -> str:
    return "heads"


@dsl.component
def number() -> int:
    return 3


@dsl.component
def ratio() -> float:
    return 0.5


@dsl.component
def truth() -> bool:
    return True


@dsl.component
def say(text: str):
    print(text)


@dsl.pipeline(name="conditions")
def conditions(threshold: int = 2, name: str = "x", seeds: list = [1, 2]):
    coin = flip()
    n = number()
    r = ratio()
    t = truth()
    with dsl.If(coin.output == "heads"):
        say(text="heads")
    with dsl.If(n.output >= threshold):
        say(text="int vs int")
    with dsl.If(r.output < n.output):
        say(text="float vs int")
    with dsl.If(n.output != 1.5):
        say(text="int vs float constant")
    with dsl.If(t.output == True):
        say(text="bool")
    with dsl.If(name == "x", name="named"):
        with dsl.If(coin.output != "tails"):
            say(text="nested")
    with dsl.ParallelFor(seeds, parallelism=2) as seed:
        with dsl.Condition(n.output > 1, name="deprecated"):
            say(text="in loop")
        with dsl.If(seed == 2):
            say(text="in loop")
    with dsl.If(coin.output == "a"):
        say(text="a")
    with dsl.Elif(coin.output == "b"):
        say(text="b")
    say(text="after an unfinished chain")
