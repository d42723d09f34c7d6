"""Fan out with ``dsl.ParallelFor`` and fan back in with ``dsl.Collected``.

Two independent fan-outs in one pipeline:

* over a literal list of dicts: each iteration reads the item's fields (``item.region``,
  ``item.climate``) and simulates a region's sales into a ``Dataset``. ``dsl.Collected`` then
  gathers every iteration's artifact into one ``Input[List[Dataset]]`` and every iteration's
  ``int`` into one ``List[int]``;
* over a list that an upstream task returns, at most two iterations at a time
  (``parallelism=2``), collected into a ``List[float]``.

The pipeline returns the grand total computed after the first fan-in.
"""

from typing import List

from sluice import dsl
from sluice.dsl import Dataset, Input, Output


@dsl.component
def simulate_sales(region: str, climate: str, days: int, seed: int, sales: Output[Dataset]) -> int:
    """Writes one row of units sold per day for a region; returns the region's total."""
    import csv
    import random

    rng = random.Random(f"{seed}-{region}")
    demand = {"cold": 12, "mild": 25, "warm": 40}[climate]
    units = [max(0, round(rng.gauss(demand, 5))) for _ in range(days)]
    with open(sales.path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["region", "day", "units"])
        writer.writerows([region, day, n] for day, n in enumerate(units, start=1))
    sales.metadata["region"] = region
    return sum(units)


@dsl.component
def merge_sales(shards: Input[List[Dataset]], merged: Output[Dataset]) -> int:
    """Concatenates every region's CSV into one; returns the number of data rows."""
    import csv

    rows = []
    for shard in shards:
        with open(shard.path, newline="") as f:
            rows.extend(csv.DictReader(f))
    with open(merged.path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["region", "day", "units"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@dsl.component
def add_up(totals: List[int]) -> int:
    """Sums the per-region totals."""
    print(f"region totals: {sorted(totals)}")
    # Numbers inside a list parameter travel as JSON numbers and may arrive as floats (341.0).
    return int(sum(totals))


@dsl.component
def list_stores(count: int) -> List[str]:
    """Returns the store identifiers to audit."""
    return [f"store-{i:03d}" for i in range(1, count + 1)]


@dsl.component
def audit_store(store: str, seed: int) -> float:
    """Returns the fraction of a store's till receipts that fail a consistency check."""
    import random

    rng = random.Random(f"{seed}-{store}")
    receipts = [rng.random() for _ in range(200)]
    return round(sum(1 for r in receipts if r < 0.03) / len(receipts), 4)


@dsl.component
def worst_store_rate(rates: List[float]) -> float:
    """Returns the highest failure rate across the audited stores."""
    import statistics

    print(f"mean failure rate {statistics.fmean(rates):.4f} over {len(rates)} stores")
    return max(rates)


@dsl.pipeline(name="regional-sales")
def regional_sales(days: int = 30, seed: int = 11, store_count: int = 5) -> int:
    # Fields are read as attributes of the loop item, so avoid names the item already has (``name``),
    # and give every field one type: kfp types them all like the first dict's first value.
    with dsl.ParallelFor(
        [
            {"region": "north", "climate": "cold"},
            {"region": "south", "climate": "warm"},
            {"region": "east", "climate": "mild"},
        ]
    ) as item:
        simulated = simulate_sales(region=item.region, climate=item.climate, days=days, seed=seed)
    merge_sales(shards=dsl.Collected(simulated.outputs["sales"]))
    total = add_up(totals=dsl.Collected(simulated.outputs["Output"]))

    stores = list_stores(count=store_count)
    with dsl.ParallelFor(stores.output, parallelism=2) as store:
        audit = audit_store(store=store, seed=seed)
    worst_store_rate(rates=dsl.Collected(audit.output))

    return total.output
