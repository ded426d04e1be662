"""The cost model: workloads, training steps, components, monotonicity, explanations, errors."""
import math

import matplotlib
import pytest
from hypothesis import given, settings, strategies as st

import fxp_nn
from fxp_nn.energy import (COMPONENTS, Conv, Gemm, GemmFormat, Hardware, Precision, compare,
                           estimate, fixed, floating, mlp_workload, model_gemms, plot_breakdown,
                           plot_word_length, precision_from_policy, sweep_word_length, table,
                           training_step)
from fxp_nn.energy.__main__ import main

matplotlib.use("Agg")
MLP = mlp_workload([784, 1000, 1000, 10], batch_size=64)


# --- test doubles with the contract's attribute names (stand-ins for fxp_nn layers) ---------
class FakeLinear:
    def __init__(self, i, o, bias=True):
        self.in_features, self.out_features, self.bias = i, o, (object() if bias else None)


class FakeConv2d:
    def __init__(self, i, o, k, stride=1, padding=0):
        self.in_channels, self.out_channels, self.kernel_size = i, o, k
        self.stride, self.padding, self.bias = stride, padding, object()


class FakeMaxPool2d:
    def __init__(self, k, stride=None):
        self.kernel_size, self.stride = k, stride


class Flatten:
    pass


class FakeModel:
    def __init__(self, *layers):
        self.layers = list(layers)


def test_training_step_macs_match_reference_mlp():
    work = training_step(MLP)
    macs = {p: sum(g.macs for g in work if isinstance(g, Gemm) and g.phase == p)
            for p in ("forward", "input_grad", "weight_grad")}
    assert macs == {"forward": 114_816_000, "input_grad": 64_640_000,
                    "weight_grad": 114_816_000}
    assert sum(u.params for u in work if u.phase == "update") == 784_000 + 1_000_000 + 10_000


def test_components_sum_to_total():
    for prec in ("float32", "bfloat16", "fixed16_sr", "int8"):
        for df in ("os", "ws"):
            rep = estimate(MLP, Hardware(dataflow=df), prec)
            for r in rep.records:
                assert sum(r[f"e_{c}_pj"] for c in COMPONENTS) == pytest.approx(r["e_total_pj"])
            assert sum(rep.energy_by_component().values()) == pytest.approx(
                rep.totals["e_total_pj"])
            assert rep.total_energy_j == pytest.approx(rep.totals["e_total_pj"] * 1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 300), st.integers(2, 31),
       st.sampled_from(["os", "ws"]), st.sampled_from(["nearest_even", "stochastic", "floor"]))
def test_energy_never_falls_as_operand_bits_rise_at_fixed_counts(m, n, k, bits, df, rounding):
    # SCALE-Sim mode fixes every count (1-byte words), so only per-operation energies change.
    hw = Hardware.scalesim_config(8, 8, df, 4, 4, 4)
    g = [Gemm("g", m, n, k)]
    lo = estimate(g, hw, Precision.fixed(bits, rounding=rounding), "inference").records[0]
    hi = estimate(g, hw, Precision.fixed(bits + 1, rounding=rounding), "inference").records[0]
    for key in ("compute_cycles", "sram_reads_ifmap", "dram_reads_ifmap", "dram_writes_ofmap"):
        assert lo[key] == hi[key]
    for c in COMPONENTS:
        assert hi[f"e_{c}_pj"] >= lo[f"e_{c}_pj"] - 1e-9, c


def test_energy_rises_with_word_length_in_full_model():
    rows = sweep_word_length(MLP, bits=range(4, 33), roundings=("stochastic",))
    energies = [r["energy_uj"] for r in rows]
    assert all(b >= a for a, b in zip(energies, energies[1:]))


def test_narrower_words_raise_reuse_and_cut_dram_traffic():
    hw = Hardware(ifmap_sram_bytes=32 * 1024, filter_sram_bytes=32 * 1024)
    g = [Gemm("g", 256, 512, 512)]
    d8 = estimate(g, hw, Precision.fixed(8), "inference").records[0]
    d16 = estimate(g, hw, Precision.fixed(16), "inference").records[0]
    # the 16-bit filter block no longer fits, so it is streamed once per row fold
    assert d8["dram_reads_filter"] == 512 * 512
    assert d16["dram_reads_filter"] > d8["dram_reads_filter"]


def test_rounding_cost_ordering_and_rng():
    g = [Gemm("g", 64, 64, 64)]
    e = {r: estimate(g, precision=Precision.fixed(16, rounding=r), phase="inference").records[0]
         for r in ("floor", "nearest_even", "stochastic")}
    assert e["floor"]["e_rounding_pj"] == 0 == e["nearest_even"]["e_rng_pj"]
    assert 0 < e["nearest_even"]["e_rounding_pj"] < e["stochastic"]["e_rounding_pj"]
    assert e["stochastic"]["e_rng_pj"] > 0
    assert e["stochastic"]["rounding_events"] == 64 * 64
    assert e["stochastic"]["random_bits"] == 64 * 64 * 14   # acc frac 28 -> out frac 14


def test_rounding_per_accumulate_rounds_every_mac():
    fmt = GemmFormat(fixed(16), fixed(16), fixed(16), rounding="stochastic", site="accumulate")
    rec = estimate([Gemm("g", 8, 8, 100, fmt=fmt)], phase="inference").records[0]
    assert rec["rounding_events"] == 8 * 8 * 100
    assert rec["acc_bits"] == 16


def test_exact_accumulator_width():
    rec = estimate([Gemm("g", 4, 4, 784)], precision="fixed16_sr", phase="inference").records[0]
    assert rec["acc_bits"] == 16 + 16 + math.ceil(math.log2(784))


def test_fixed16_cheaper_than_float32_and_int8_cheapest():
    rows = compare(MLP)
    e = {r["precision"]: r["energy_ratio"] for r in rows}
    assert e["float32"] == 1
    assert e["fixed8 nearest_even"] < e["fixed16 stochastic"] < e["float32"]
    fx = next(r for r in rows if r["precision"] == "fixed16 stochastic")
    assert fx["dram_ratio"] == pytest.approx(0.5, rel=0.01)   # half the bits, a little more reuse
    assert 0 < fx["multiply_ratio"] < 0.25 and math.isnan(fx["rng_ratio"])


def test_os_and_ws_cycles_closed_forms():
    g = [Gemm("g", 100, 70, 50)]
    os_ = estimate(g, Hardware(rows=16, cols=32, dataflow="os"), phase="inference").records[0]
    ws = estimate(g, Hardware(rows=16, cols=32, dataflow="ws"), phase="inference").records[0]
    assert os_["compute_cycles"] == 7 * 3 * (50 + 16 + 32 - 2)
    assert ws["compute_cycles"] == 4 * 3 * (2 * 16 + 32 + 100 - 2)
    assert ws["sram_reads_ofmap"] == 3 * 100 * 70      # partial sums read back
    assert os_["sram_reads_ofmap"] == 0


def test_memory_bound_cycles_and_time():
    hw = Hardware(dram_bytes_per_cycle=0.5)
    rec = estimate([Gemm("g", 64, 64, 64)], hw, phase="inference").records[0]
    assert rec["dram_cycles"] > rec["compute_cycles"]
    assert rec["memory_bound_cycles"] == rec["dram_cycles"] - rec["compute_cycles"]
    assert rec["time_s"] == pytest.approx(rec["dram_cycles"] / hw.clock_hz)


def test_node_scaling_lowers_logic_energy_not_dram():
    a = estimate(MLP, Hardware(node_nm=45), "fixed16_sr").totals
    b = estimate(MLP, Hardware(node_nm=7), "fixed16_sr").totals
    assert b["e_multiply_pj"] == pytest.approx(a["e_multiply_pj"] * 0.0943, rel=0.01)
    assert b["e_dram_pj"] == a["e_dram_pj"]


def test_model_adapter_with_test_doubles():
    model = FakeModel(FakeConv2d(1, 8, 5), FakeMaxPool2d(2), FakeConv2d(8, 16, (5, 5), padding=1),
                      FakeMaxPool2d(2), Flatten(), FakeLinear(16 * 5 * 5, 10))
    gemms, params = model_gemms(model, (1, 28, 28), batch_size=2)
    assert [(g.m, g.n, g.k) for g in gemms] == [(2 * 24 * 24, 8, 25), (2 * 10 * 10, 16, 200),
                                                (2, 10, 400)]
    assert params == {"0.FakeConv2d": 208, "2.FakeConv2d": 3216, "5.FakeLinear": 4010}


def test_model_adapter_with_real_fxp_nn_classes():
    model = fxp_nn.lenet(policy=fxp_nn.PrecisionPolicy.gupta())
    rep = estimate(model, input_shape=(1, 28, 28), batch_size=4)
    names = [r["name"] for r in rep.records]
    assert names[:4] == ["0.Conv2d", "3.Conv2d", "7.Linear", "9.Linear"]
    assert rep.precision.weights == fixed(16, 14)
    assert rep.precision.rounding == "stochastic"
    assert {r["phase"] for r in rep.records} == {"forward", "input_grad", "weight_grad", "update"}
    m = fxp_nn.Sequential(fxp_nn.Flatten(), fxp_nn.Linear(784, 10))
    assert estimate(m, input_shape=(784,), phase="inference").macs == 7840


def test_model_adapter_follows_fxp_nn_layer_shapes():
    # strides, padding and a pooling window that does not tile: the energy workload must see
    # the same output shapes as the layers' own output_shape
    layers = [fxp_nn.Conv2d(3, 4, 3, stride=2, padding=1), fxp_nn.MaxPool2d(3, 2),
              fxp_nn.Conv2d(4, 5, (2, 3)), fxp_nn.Flatten(), fxp_nn.Linear(30, 7)]
    gemms, _ = model_gemms(fxp_nn.Sequential(*layers), (3, 17, 17), batch_size=2)
    shape, expected = (3, 17, 17), []
    for layer in layers:
        out = layer.output_shape(shape)
        if isinstance(layer, fxp_nn.Conv2d):
            expected.append(2 * out[1] * out[2])
        elif isinstance(layer, fxp_nn.Linear):
            expected.append(2)
        shape = out
    assert [g.m for g in gemms] == expected == [2 * 9 * 9, 2 * 3 * 2, 2]


def test_precision_from_policy():
    p = precision_from_policy(fxp_nn.PrecisionPolicy.fixed(12, 8, "nearest_even", acc_bits=24))
    assert p.activations == fixed(12, 8) and p.rounding == "nearest_even"
    assert p.gemm("forward").accumulator(1000) == fixed(24, 16)
    f = precision_from_policy(fxp_nn.PrecisionPolicy.float32())
    assert f.weights == floating("float32")
    with pytest.raises(ValueError, match="float64"):
        precision_from_policy(fxp_nn.PrecisionPolicy.float64())


def test_report_outputs():
    rep = estimate(MLP, precision="fixed16_sr")
    text = rep.table()
    assert "TOTAL" in text and "fc1/weight_grad" in text
    assert "pJ/MAC" in rep.summary()
    recs = rep.to_records(run="a")
    assert all(isinstance(v, (int, float, str)) for r in recs for v in r.values())
    assert recs[0]["run"] == "a"
    assert set(rep.by_phase()) == {"forward", "input_grad", "weight_grad", "update"}
    assert rep.ops_per_s_per_w == pytest.approx(2 * rep.macs / rep.total_energy_j)


def test_explain_names_formula_counts_entry_and_source():
    rep = estimate(MLP, precision="fixed16_sr")
    why = rep.explain("fc1", "e_multiply_pj")
    assert "int mult 16x16b" in why and "[H1]" in why and "50176000" in why
    assert "row_fold·col_fold·(K + R + C - 2)" in rep.explain("fc1", "compute_cycles")
    assert "[SR]" in rep.explain("fc1", "rng")
    assert "read w, read g, write w" in rep.explain("fc1/update", "dram")
    with pytest.raises(KeyError, match="no record"):
        rep.explain("nope")


def test_sweep_and_plots():
    rows = sweep_word_length(MLP)
    assert len(rows) == 29 * 3
    assert "energy_uj" in table(rows[:3])
    assert plot_word_length(rows).get_xlabel() == "word length (bits)"
    assert plot_word_length(rows, y="rng_uj", log=False).get_ylabel() == "rng (uJ)"
    assert len(plot_breakdown(compare(MLP)).patches) == 5 * len(COMPONENTS)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: Gemm("g", 0, 1, 1), ValueError, "M must be a positive"),
    (lambda: Hardware(dataflow="is"), ValueError, "dataflow"),
    (lambda: Hardware(rows=0), ValueError, "rows"),
    (lambda: estimate(MLP, precision="fp8"), ValueError, "preset"),
    (lambda: estimate(MLP, phase="backward"), ValueError, "phase"),
    (lambda: estimate(FakeModel(FakeLinear(3, 2))), ValueError, "input_shape"),
    (lambda: estimate(FakeModel(FakeLinear(3, 2)), input_shape=(4,)), ValueError, "3 input"),
    (lambda: estimate(FakeModel(FakeConv2d(3, 2, 3)), input_shape=(1, 8, 8)), ValueError,
     "channels"),
    (lambda: estimate(FakeModel(FakeConv2d(1, 2, 9)), input_shape=(1, 8, 8)), ValueError,
     "larger"),
    (lambda: estimate(MLP, hardware="tpu"), TypeError, "Hardware"),
    (lambda: GemmFormat(fixed(8), floating("float16"), fixed(8)), ValueError, "both be fixed"),
    (lambda: Precision.fixed(8, rounding="up"), ValueError, "rounding mode"),
    (lambda: fixed(0), ValueError, "word length"),
])
def test_bad_input_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_cli(capsys, tmp_path):
    assert main(["mlp-small", "--phase", "inference"]) == 0
    out = capsys.readouterr().out
    assert "fc1" in out and "TOTAL" in out
    assert main(["cnn", "--compare", "--batch", "1"]) == 0
    assert "float32" in capsys.readouterr().out
    assert main(["mlp", "--export", str(tmp_path)]) == 0
    assert (tmp_path / "topology.csv").read_text().startswith("Layer, M, N, K,")
    assert main([str(tmp_path / "topology.csv"), "--scalesim", "--explain", "fc1"]) == 0
    assert "compute_cycles" in capsys.readouterr().out
    assert main(["nope"]) == 2
    assert "unknown workload" in capsys.readouterr().err


def test_conv_lowering_by_im2col():
    g = Gemm("c", 1, 1, 1)
    assert g.macs == 1
    from fxp_nn.energy import conv_gemm
    c = conv_gemm("c", Conv(32, 32, 3, 3, 3, 16, (2, 2), (1, 1)), batch=8)
    assert (c.m, c.n, c.k) == (8 * 16 * 16, 16, 27)


def test_accumulator_sweep_changes_only_accumulator_side():
    rows = sweep_word_length(MLP, bits=(16, 24, 32), roundings=("nearest_even",),
                             target="accumulator")
    acc = [r["accumulate_uj"] for r in rows]
    assert acc[0] < acc[1] < acc[2]
    assert len({r["multiply_uj"] for r in rows}) == 1
    with pytest.raises(ValueError, match="target"):
        sweep_word_length(MLP, target="weights")


def test_policy_rounding_per_output_role():
    policy = fxp_nn.PrecisionPolicy.gupta(rounding="nearest_even")
    policy = policy.replace(errors=fxp_nn.TensorPrecision("s16.14", "stochastic"),
                            updates=fxp_nn.TensorPrecision("s16.14", "floor"))
    p = precision_from_policy(policy)
    assert p.gemm("forward").rounding == "nearest_even"
    assert p.gemm("input_grad").rounding == "stochastic"
    assert p.update_rounding == "floor"


def test_reproduces_reference_worked_example_memory_energy():
    # shared/reference/energy.md, worked example "mlp_infer_os, int8": SCALE-Sim OS counts on a
    # 32x32 array with 64 kB buffers, SRAM 3.45 pJ per byte, DRAM 20 pJ/bit: 25.6 and 943.0 uJ.
    hw = Hardware.scalesim_config(32, 32, "os", 64, 64, 64)
    t = estimate(MLP, hw, "int8", "inference").totals
    assert t["e_sram_pj"] * 1e-6 == pytest.approx(25.6, abs=0.1)
    assert t["e_dram_pj"] * 1e-6 == pytest.approx(943.0, abs=0.1)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 400), st.integers(1, 400), st.integers(1, 400), st.integers(2, 31),
       st.sampled_from(["os", "ws"]), st.integers(1, 64), st.sampled_from(["inference",
                                                                          "training"]))
def test_total_energy_never_falls_as_word_length_rises(m, n, k, bits, df, sram_kb, phase):
    # with capacity in words, wider words can only add refetches on top of the wider operations
    hw = Hardware(rows=8, cols=8, dataflow=df, ifmap_sram_bytes=1024 * sram_kb,
                  filter_sram_bytes=1024 * sram_kb, ofmap_sram_bytes=1024 * sram_kb)
    g = [Gemm("g", m, n, k)]
    lo = estimate(g, hw, Precision.fixed(bits), phase)
    hi = estimate(g, hw, Precision.fixed(bits + 1), phase)
    assert hi.totals["e_total_pj"] >= lo.totals["e_total_pj"]
    assert hi.totals["dram_bytes"] >= lo.totals["dram_bytes"]
