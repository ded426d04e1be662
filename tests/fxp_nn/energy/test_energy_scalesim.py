"""Compatibility mode vs SCALE-Sim 3.0.0 (numbers recorded from real runs, see
docs/energy-validation.md): compute cycles, SRAM counts and DRAM reads exact; DRAM writes
within 1% (SCALE-Sim counts the padding of its drain lines; the requirement is 10%)."""
import configparser
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fxp_nn.energy import Conv, Gemm, Hardware
from fxp_nn.energy.buffer_replay import flush_misses, ifmap_stream, im2col_addresses
from fxp_nn.energy.dataflow import stream_reads
from fxp_nn.energy.scalesim import config_text, expected_counts, read_recorded_runs, read_topology, topology_csv

DATA = Path(__file__).parent / "data"
EXACT = ("compute_cycles", "sram_reads_ifmap", "sram_reads_filter", "sram_writes_ofmap",
         "dram_reads_ifmap", "dram_reads_filter")
DRAM = ("dram_reads_ifmap", "dram_reads_filter", "dram_writes_ofmap")


RUNS = read_recorded_runs(DATA / "scalesim_3.0.0_reference.csv")


@pytest.mark.parametrize("run", sorted(RUNS), ids="-".join)
def test_matches_scalesim(run):
    topology, array, dataflow, sram_kb = run
    rows, cols = map(int, array.split("x"))
    hw = Hardware.scalesim_config(rows, cols, dataflow, *map(int, sram_kb.split(",")))
    gemms = read_topology(DATA / f"{topology}.csv")
    ours = expected_counts(gemms, hw)
    assert len(ours) == len(RUNS[run])
    for g, o, ref in zip(gemms, ours, RUNS[run]):
        assert g.name == ref["layer"]
        for key in EXACT:
            assert o[key] == int(ref[key]), (g.name, key)
        assert o["dram_writes_ofmap"] == pytest.approx(int(ref["dram_writes_ofmap"]), rel=0.01)


def test_scalesim_dram_totals_within_one_percent():
    for run, ref_rows in RUNS.items():
        rows, cols = map(int, run[1].split("x"))
        hw = Hardware.scalesim_config(rows, cols, run[2], *map(int, run[3].split(",")))
        ours = expected_counts(read_topology(DATA / f"{run[0]}.csv"), hw)
        total = sum(o[k] for o in ours for k in DRAM)
        ref = sum(int(r[k]) for r in ref_rows for k in DRAM)
        assert total == pytest.approx(ref, rel=0.01), run


def test_expected_counts_needs_compat_mode():
    with pytest.raises(ValueError, match="scalesim=True"):
        expected_counts([Gemm("g", 2, 2, 2)], Hardware())


def test_topology_round_trip(tmp_path):
    gemms = [Gemm("fc1", 32, 256, 784), Gemm("fc2", 32, 10, 256)]
    path = tmp_path / "t.csv"
    path.write_text(topology_csv(gemms))
    back = read_topology(path)
    assert [(g.name, g.m, g.n, g.k) for g in back] == [(g.name, g.m, g.n, g.k) for g in gemms]


def test_conv_topology_round_trip(tmp_path):
    conv = Conv(12, 12, 8, 3, 3, 16, (2, 2), (1, 1))
    gemm = Gemm("c", 36, 16, 72, conv=conv)
    text = topology_csv([gemm])
    assert text.splitlines()[1] == "c, 14, 14, 3, 3, 8, 16, 2,"
    path = tmp_path / "c.csv"
    path.write_text(text)
    (back,) = read_topology(path)
    assert (back.m, back.n, back.k) == (36, 16, 72)


def test_config_text_is_a_valid_scalesim_cfg():
    cfg = configparser.ConfigParser()
    cfg.read_string(config_text(Hardware(rows=8, cols=16, dataflow="ws",
                                         ofmap_sram_bytes=8 * 1024)))
    arch = cfg["architecture_presets"]
    assert (arch["ArrayHeight"], arch["ArrayWidth"], arch["Dataflow"]) == ("8", "16", "ws")
    assert arch["OfmapSramSzkB"] == "8"


def test_read_topology_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Layer, M, N, K,\nfc, 3, x, 4,\n")
    with pytest.raises(ValueError, match="non-integer"):
        read_topology(bad)
    bad.write_text("Layer, M, N, K,\nfc, 3, 4,\n")
    with pytest.raises(ValueError, match="expected"):
        read_topology(bad)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.integers(1, 6),
       st.integers(1, 6), st.sampled_from(["os", "ws"]), st.integers(5, 300))
def test_flush_formula_equals_address_replay_for_gemms(m, n, k, rows, cols, dataflow, words):
    """The closed-form flush-buffer count and the address-stream replay agree on GEMMs."""
    addr = np.arange(m * k).reshape(m, k)
    replay = flush_misses(ifmap_stream(addr, dataflow, rows, cols, n), words)
    col_fold, row_fold = -(-n // cols), -(-k // rows)
    if dataflow == "os" or m * k <= words:
        blocks = [(m * k, col_fold)]
    else:
        blocks = [(m * min(rows, k - r0), 1) for r0 in range(0, k, rows)] * col_fold
    assert stream_reads(blocks, words, scalesim=True) == replay


def test_im2col_addresses_match_direct_indexing():
    conv = Conv(5, 6, 2, 3, 2, 4, (2, 1))
    e, f = conv.out_hw
    addr = im2col_addresses(conv, e, f)
    x = np.arange(5 * 6 * 2).reshape(5, 6, 2)
    for p in range(e * f):
        i, j = divmod(p, f)
        window = x[2 * i:2 * i + 3, j:j + 2, :].ravel()
        assert np.array_equal(addr[p], window)


def test_auto_topology_mode_falls_back_to_gemm_for_batched_convs():
    from fxp_nn.energy import conv_gemm
    conv = Conv(12, 12, 8, 3, 3, 16)
    assert topology_csv([conv_gemm("c", conv, batch=1)]).startswith("Layer name,")
    text = topology_csv([conv_gemm("c", conv, batch=4)])
    assert text.splitlines() == ["Layer, M, N, K,", "c, 400, 16, 72,"]
    with pytest.raises(ValueError, match="no batch"):
        topology_csv([conv_gemm("c", conv, batch=4)], mode="conv")
