"""The card data: the synthetic stand-in's structure and every check of the loader."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hw6lib.card.csvfile import BINARY, COLUMNS, describe_features, file_sha256, load_card_csv
from hw6lib.card.synthetic import (
    FLAG_RATES,
    LOGNORMAL,
    fraud_score,
    generate_card_data,
    write_card_csv,
)
from hw6lib.errors import InputError

HEADER = ",".join(COLUMNS)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return generate_card_data(200_000, seed=425)


# ---- the generator ---------------------------------------------------------------------------


@pytest.mark.parametrize("column", sorted(LOGNORMAL))
def test_lognormal_marginals(big: pd.DataFrame, column: str) -> None:
    mu, sd = LOGNORMAL[column]
    logs = np.log(big[column].to_numpy())
    assert logs.mean() == pytest.approx(mu, abs=0.02)
    assert logs.std() == pytest.approx(sd, abs=0.02)
    assert (big[column] > 0).all()


def test_distance_from_home_summary_matches_real_file(big: pd.DataFrame) -> None:
    d = big["distance_from_home"]
    assert d.median() == pytest.approx(10.0, rel=0.05)
    assert d.mean() == pytest.approx(27.0, rel=0.1)


@pytest.mark.parametrize("column", sorted(FLAG_RATES))
def test_flag_rates(big: pd.DataFrame, column: str) -> None:
    assert big[column].mean() == pytest.approx(FLAG_RATES[column], abs=0.005)


def test_flags_independent(big: pd.DataFrame) -> None:
    corr = big[["used_chip", "used_pin_number", "online_order", "distance_from_home"]].corr()
    off = corr.to_numpy()[~np.eye(4, dtype=bool)]
    assert np.abs(off).max() < 0.01


def test_repeat_retailer_rule_exact(big: pd.DataFrame) -> None:
    expected = (big["distance_from_home"] > 1.9).astype(float)
    assert (big["repeat_retailer"] == expected).all()
    assert big["repeat_retailer"].mean() == pytest.approx(0.885, abs=0.005)


def test_fraud_rate(big: pd.DataFrame) -> None:
    assert big["fraud"].mean() == pytest.approx(0.087, abs=0.005)


def test_fraud_follows_score_rule_up_to_noise(big: pd.DataFrame) -> None:
    rule = fraud_score(big) >= 8
    disagree = np.count_nonzero(rule != (big["fraud"] == 1))
    assert disagree <= 60  # expected 200,000 * 3/49,999 = 12
    exact = generate_card_data(20_000, seed=1, label_noise=0.0)
    assert ((fraud_score(exact) >= 8) == (exact["fraud"] == 1)).all()


def test_all_values_binary_and_columns_in_order(big: pd.DataFrame) -> None:
    assert tuple(big.columns) == COLUMNS
    assert all(big[c].dtype == np.float64 for c in COLUMNS)
    for c in BINARY:
        assert set(np.unique(big[c])) <= {0.0, 1.0}


def test_determinism_by_seed() -> None:
    a = generate_card_data(5000, seed=7)
    b = generate_card_data(5000, seed=7)
    c = generate_card_data(5000, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_generator_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_card_data(0, seed=0)
    with pytest.raises(ValueError, match="label_noise"):
        generate_card_data(10, seed=0, label_noise=2.0)


# ---- the loader: good files --------------------------------------------------------------------


@pytest.fixture
def small() -> pd.DataFrame:
    return generate_card_data(50, seed=3)


def _lines(frame: pd.DataFrame, binary_fmt: str = "{:.1f}") -> list[str]:
    out = [HEADER]
    for row in frame.itertuples(index=False):
        cells = [repr(float(v)) for v in row[:3]] + [binary_fmt.format(v) for v in row[3:]]
        out.append(",".join(cells))
    return out


def _write(
    tmp_path: Path,
    lines: list[str],
    *,
    name: str = "card_transdata.csv",
    bom: bool = False,
    eol: str = "\n",
    final_eol: bool = True,
) -> Path:
    text = eol.join(lines) + (eol if final_eol else "")
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_round_trip_of_written_stand_in(tmp_path: Path, small: pd.DataFrame) -> None:
    path = tmp_path / "card_transdata.csv"
    write_card_csv(small, path)
    assert path.read_text().splitlines()[0] == HEADER
    assert path.read_text().splitlines()[1].endswith(",1.0" if small.fraud[0] else ",0.0")
    pd.testing.assert_frame_equal(load_card_csv(path), small)


def test_bom_crlf_and_float_binaries_accepted(tmp_path: Path, small: pd.DataFrame) -> None:
    path = _write(tmp_path, _lines(small), bom=True, eol="\r\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(load_card_csv(path), small)


def test_integer_binaries_and_no_final_newline_accepted(
    tmp_path: Path, small: pd.DataFrame
) -> None:
    path = _write(tmp_path, _lines(small, "{:.0f}"), final_eol=False)
    pd.testing.assert_frame_equal(load_card_csv(path), small)


@pytest.mark.parametrize("tail", ["\n", "\n\n\n", "  \n\t\n", "\r\n\r\n", "   "])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_blank_lines_at_the_end_accepted(
    tmp_path: Path, small: pd.DataFrame, tail: str, eol: str
) -> None:
    path = _write(tmp_path, _lines(small), eol=eol)
    path.write_bytes(path.read_bytes() + tail.encode())
    pd.testing.assert_frame_equal(load_card_csv(path), small)


def test_blank_lines_at_the_end_do_not_count_as_rows(tmp_path: Path, small: pd.DataFrame) -> None:
    path = _write(tmp_path, [*_lines(small), "", "", ""])
    msg = _error(path, min_rows=51)
    assert "line 52: the file ends after 50 data rows; at least 51" in msg


def test_blank_lines_at_the_end_with_a_problem_before(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = [*_set_cell(_lines(small), 7, "fraud", "yes"), "", ""]
    assert _error(_write(tmp_path, lines)).endswith(
        "line 7, column fraud: value 'yes' is not a number"
    )


def test_blank_line_between_rows_and_at_the_end(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    lines.insert(5, "")
    msg = _error(_write(tmp_path, [*lines, "", ""]))
    assert "line 6, column distance_from_home: empty line" in msg


@pytest.mark.parametrize("index_name", ["", "Unnamed: 0", "index"])
def test_saved_pandas_index_is_named_with_the_fix(
    tmp_path: Path, small: pd.DataFrame, index_name: str
) -> None:
    path = tmp_path / "card_transdata.csv"
    small.rename_axis(index_name or None).to_csv(path)  # pandas' default: index=True
    if index_name == "Unnamed: 0":  # a copy that was read back without index_col and saved
        pd.read_csv(tmp_path / "card_transdata.csv").to_csv(path, index=False)
    msg = _error(path)
    assert f"line 1, column 1 ({index_name or 'empty name'}): a saved pandas index" in msg
    assert "index=False" in msg and "index_col=0" in msg
    # the fix the message gives works
    pd.read_csv(path, index_col=0).to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_card_csv(path), small)


def test_17_digit_floats_kept_exactly(tmp_path: Path) -> None:
    lines = [HEADER, "57.877856623312,0.31114000804775450,1.9459399775518593,1.0,1.0,0.0,0.0,0.0"]
    frame = load_card_csv(_write(tmp_path, lines))
    assert frame.iloc[0, 1] == 0.3111400080477545
    assert frame.iloc[0, 2] == 1.9459399775518593


def test_sha256(tmp_path: Path, small: pd.DataFrame) -> None:
    path = _write(tmp_path, _lines(small))
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_describe_features(small: pd.DataFrame) -> None:
    rows = {r["column"]: r for r in describe_features(small)}
    assert list(rows) == list(COLUMNS)
    assert rows["used_chip"]["mean"] == pytest.approx(small.used_chip.mean())
    assert rows["distance_from_home"]["log_mean"] == pytest.approx(
        np.log(small.distance_from_home).mean()
    )
    assert "log_mean" not in rows["fraud"]


# ---- the loader: every bad case, with its place ----------------------------------------------


def _error(path: Path, **kwargs: int | str) -> str:
    with pytest.raises(InputError) as info:
        load_card_csv(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def _set_cell(lines: list[str], line: int, column: str, value: str) -> list[str]:
    out = list(lines)
    cells = out[line - 1].split(",")
    cells[COLUMNS.index(column)] = value
    out[line - 1] = ",".join(cells)
    return out


def test_empty_file(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, [], final_eol=False))
    assert "line 1:" in msg and "empty" in msg


def test_header_only(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, [HEADER]))
    assert "line 2:" in msg and "no data rows" in msg


def test_header_only_with_bom_and_crlf(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, [HEADER], bom=True, eol="\r\n"))
    assert "line 2:" in msg and "no data rows" in msg


def test_missing_column(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = [",".join(c for i, c in enumerate(line.split(",")) if i != 5) for line in _lines(small)]
    msg = _error(_write(tmp_path, lines))
    assert "line 1, column used_pin_number: missing from the header" in msg


def test_extra_column(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = [line + (",amount" if i == 0 else ",1.0") for i, line in enumerate(_lines(small))]
    msg = _error(_write(tmp_path, lines))
    assert "line 1, column 9 (amount): unexpected extra column" in msg


def test_reordered_columns(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    cols = list(COLUMNS)
    cols[3], cols[4] = cols[4], cols[3]
    lines[0] = ",".join(cols)
    msg = _error(_write(tmp_path, lines))
    assert "line 1, column 4: found used_chip where repeat_retailer belongs" in msg
    assert "reordered" in msg


def test_duplicate_column(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    lines[0] = HEADER + ",fraud"
    msg = _error(_write(tmp_path, lines))
    assert "line 1, column 9 (fraud): duplicate column" in msg


def test_no_header(tmp_path: Path, small: pd.DataFrame) -> None:
    msg = _error(_write(tmp_path, _lines(small)[1:]))
    assert "line 1: no header" in msg


def test_non_numeric_cell(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 17, "ratio_to_median_purchase_price", "abc")
    msg = _error(_write(tmp_path, lines))
    assert "line 17, column ratio_to_median_purchase_price: value 'abc' is not a number" in msg


def test_empty_cell(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 9, "online_order", "")
    msg = _error(_write(tmp_path, lines))
    assert msg.endswith("line 9, column online_order: empty cell")


def test_empty_line(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    lines.insert(5, "")
    msg = _error(_write(tmp_path, lines))
    assert "line 6, column distance_from_home: empty line" in msg


@pytest.mark.parametrize("word", ["NaN", "nan", "NA"])
def test_nan(tmp_path: Path, small: pd.DataFrame, word: str) -> None:
    lines = _set_cell(_lines(small), 30, "distance_from_last_transaction", word)
    msg = _error(_write(tmp_path, lines))
    assert f"line 30, column distance_from_last_transaction: value '{word}' is not a finite" in msg


@pytest.mark.parametrize("word", ["inf", "-inf", "Infinity"])
def test_infinity(tmp_path: Path, small: pd.DataFrame, word: str) -> None:
    lines = _set_cell(_lines(small), 4, "distance_from_home", word)
    msg = _error(_write(tmp_path, lines))
    assert f"line 4, column distance_from_home: value '{word}' is not a finite number" in msg


def test_negative_distance(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 12, "distance_from_last_transaction", "-0.5")
    msg = _error(_write(tmp_path, lines))
    assert "line 12, column distance_from_last_transaction: value -0.5 is negative" in msg
    assert "a distance" in msg


def test_negative_ratio(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 40, "ratio_to_median_purchase_price", "-1.25")
    msg = _error(_write(tmp_path, lines))
    assert "line 40, column ratio_to_median_purchase_price: value -1.25 is negative" in msg
    assert "a ratio" in msg


def test_zero_distance_accepted(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 12, "distance_from_home", "0.0")
    assert load_card_csv(_write(tmp_path, lines)).iloc[10, 0] == 0.0


@pytest.mark.parametrize("value", ["2", "2.0", "0.5", "-1"])
def test_binary_column_not_0_or_1(tmp_path: Path, small: pd.DataFrame, value: str) -> None:
    lines = _set_cell(_lines(small), 27, "used_chip", value)
    msg = _error(_write(tmp_path, lines))
    assert msg.endswith(f"line 27, column used_chip: value {value} is not 0 or 1")


def test_label_not_0_or_1(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 51, "fraud", "3")
    msg = _error(_write(tmp_path, lines))
    assert msg.endswith("line 51, column fraud: value 3 is not 0 or 1")


def test_first_problem_in_file_order_is_reported(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 20, "fraud", "7")
    lines = _set_cell(lines, 20, "used_chip", "5")
    lines = _set_cell(lines, 33, "distance_from_home", "oops")
    msg = _error(_write(tmp_path, lines))
    assert "line 20, column used_chip: value 5" in msg


def test_non_numeric_reported_before_later_problems(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 40, "fraud", "7")
    lines = _set_cell(lines, 33, "distance_from_home", "oops")
    msg = _error(_write(tmp_path, lines))
    assert "line 33, column distance_from_home: value 'oops' is not a number" in msg


def test_cut_off_mid_row(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = [*_lines(small), "20.26,2.32,7.50,1,,,,"]
    msg = _error(_write(tmp_path, lines, final_eol=False))
    assert "line 52, column used_chip: empty cell; the file is cut off mid-row" in msg
    assert "4 of 8 values" in msg


def test_cut_off_short_row(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = [*_lines(small), "20.26,2.3"]
    msg = _error(_write(tmp_path, lines, final_eol=False))
    assert "line 52, column ratio_to_median_purchase_price: empty cell; the file is cut off" in msg


def test_too_many_values_in_a_row(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    lines[22] += ",1.0"
    msg = _error(_write(tmp_path, lines))
    assert "line 23, column 9: extra value" in msg


def test_fewer_rows_than_training_size_plus_one(tmp_path: Path, small: pd.DataFrame) -> None:
    path = _write(tmp_path, _lines(small))
    load_card_csv(path, min_rows=50)
    msg = _error(path, min_rows=51, min_rows_reason="config key card.n_train = 50, plus 1")
    assert "line 52: the file ends after 50 data rows; at least 51 are needed" in msg
    assert "card.n_train" in msg


def test_bad_cell_line_numbers_with_bom_and_crlf(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 45, "online_order", "1.5")
    msg = _error(_write(tmp_path, lines, bom=True, eol="\r\n"))
    assert msg.endswith("line 45, column online_order: value 1.5 is not 0 or 1")


# Files seen in the wild that are not CSV text at all, or not quite.


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "card_transdata.csv"
    path.write_bytes(bytes(range(256)) * 20)
    assert "line 1: the file is binary (NUL bytes), not CSV text" in _error(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(128, 256)) * 20)
    assert "line 1: the header is not UTF-8 text" in _error(path)


def test_utf16_file(tmp_path: Path, small: pd.DataFrame) -> None:
    path = tmp_path / "card_transdata.csv"
    path.write_bytes("\n".join(_lines(small)).encode("utf-16"))
    assert "line 1: the file is UTF-16 text; save it as UTF-8" in _error(path)


def test_gzip_file(tmp_path: Path, small: pd.DataFrame) -> None:
    import gzip

    path = tmp_path / "card_transdata.csv"
    path.write_bytes(gzip.compress("\n".join(_lines(small)).encode()))
    assert "line 1: the file is compressed" in _error(path)


def test_latin1_byte_in_a_row(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _set_cell(_lines(small), 7, "used_chip", "\xe9")
    path = tmp_path / "card_transdata.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    assert "line 7, column used_chip: byte 0xe9 is not UTF-8 text" in _error(path)


def test_huge_line_is_reported_briefly(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    lines[4] = "1" * 3_000_000
    msg = _error(_write(tmp_path, lines))
    assert "line 5, column distance_from_home:" in msg
    assert "(3,000,000 characters)" in msg and len(msg) < 400


def test_huge_first_row_of_values_is_not_truncated_silently(
    tmp_path: Path, small: pd.DataFrame
) -> None:
    lines = _lines(small)
    lines[1] = ",".join(["1.0"] * 1_000_000)
    msg = _error(_write(tmp_path, lines))
    assert "line 2, column 9: extra value (the row has 1,000,000 values" in msg


def test_extra_value_in_first_row(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    lines[1] += ",1.0"
    assert "line 2, column 9: extra value" in _error(_write(tmp_path, lines))


def test_duplicated_header(tmp_path: Path, small: pd.DataFrame) -> None:
    lines = _lines(small)
    lines.insert(1, HEADER)
    msg = _error(_write(tmp_path, lines))
    assert "line 2, column distance_from_home: the header is repeated here" in msg
