"""Job: point the project at a CSV (make use-data), or back at the churn sample.

The user's CSV is only ever read: it is copied, byte for byte, to ``data/raw/`` (and
versioned with ``dvc add`` when the project uses DVC), the contract is inferred from
it and written to ``contract.yaml``; the pipeline then reads that copy. Running it
again with the same arguments changes nothing.
"""

import filecmp
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from ..core.contract import CONTRACT_FILE, SAMPLE_CONTRACT_FILE, Contract, ContractError
from ..core.contract import identifier as to_identifier
from ..core.inference import infer_contract
from ..io import paths

DVC_DIR = Path(".dvc")  # present when the project versions data with DVC


@dataclass(frozen=True)
class UseDataResult:
    """What the project now reads and how its contract looks."""

    data: Path
    contract: Contract
    versioned: bool  # stored with dvc add


def use_sample() -> Contract:
    """Restore the churn sample's contract (the generate step makes its data).

    Returns:
        The sample's contract.
    """
    shutil.copyfile(SAMPLE_CONTRACT_FILE, CONTRACT_FILE)
    from ..core.contract import load_contract  # noqa: PLC0415  (after the copy)

    return load_contract(CONTRACT_FILE)


def run(  # noqa: PLR0913  (one option per make use-data argument)
    csv: Path,
    target: str,
    *,
    positive: str | None = None,
    id_column: str | None = None,
    sensitive: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> UseDataResult:
    """Copy ``csv`` into the project, infer its contract and point the pipeline at it.

    Args:
        csv: The user's CSV (never modified).
        target: Its column to predict.
        positive: The target value counted as positive.
        id_column: Its column identifying a row (default: row numbers).
        sensitive: Columns kept for fairness checks and never learned.
        drop: Columns to leave out.

    Returns:
        The copy the pipeline reads, the contract, and whether DVC versions the copy.

    Raises:
        FileNotFoundError: If ``csv`` does not exist.
        ContractError: If the table cannot be supported (the message says what to do).
    """
    if not csv.is_file():
        msg = f"{csv} not found"
        raise FileNotFoundError(msg)
    try:
        table = pd.read_csv(csv)
    except (ValueError, UnicodeDecodeError) as error:
        msg = f"{csv} is not a readable CSV file: {error}"
        raise ContractError(msg) from None
    copy = paths.USER_DATA_DIR / f"{to_identifier(csv.stem)}.csv"
    # Inferred before anything is written: a refused table leaves the project as it was.
    contract = infer_contract(
        table,
        data=copy.as_posix(),
        target=target,
        positive=positive,
        id_column=id_column,
        sensitive=sensitive,
        drop=drop,
    )
    copy.parent.mkdir(parents=True, exist_ok=True)
    if csv.resolve() != copy.resolve() and not (
        copy.is_file() and filecmp.cmp(csv, copy, shallow=False)
    ):
        shutil.copyfile(csv, copy)
    versioned = DVC_DIR.is_dir()
    if versioned:
        _dvc_add(copy)
    write_contract(contract, CONTRACT_FILE)
    return UseDataResult(copy, contract, versioned)


def write_contract(contract: Contract, path: Path) -> None:
    """Write a contract under the guide to its fields (the sample contract's header).

    Args:
        contract: The contract.
        path: The YAML file.
    """
    guide = "".join(
        line
        for line in SAMPLE_CONTRACT_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
        if line.startswith("#")
    )
    body = yaml.safe_dump(
        contract.model_dump(mode="json", exclude_defaults=True),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    path.write_text(guide + body, encoding="utf-8")


def _dvc_add(copy: Path) -> None:
    proc = subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
        [sys.executable, "-m", "dvc", "add", "--quiet", copy.as_posix()],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        msg = f"dvc add {copy} failed:\n{proc.stderr.strip() or proc.stdout.strip()}"
        raise ContractError(msg)
