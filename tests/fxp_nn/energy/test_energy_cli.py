"""fxp-energy: formats from the command line, CSV/JSON tables, the export round trip, model files,
per-layer policies and custom layers, and one-line errors."""
import csv
import io
import json

import pytest

import fxp
import fxp_nn
from fxp_nn.energy import Gemm, Precision, estimate, mlp_workload
from fxp_nn.energy.__main__ import main
from fxp_nn.energy.precision import NumberFormat


def _json(capsys, argv):
    assert main(argv + ["--output-format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def error(cli_error):
    return lambda argv: cli_error(main, argv, "fxp-energy")


def test_exported_training_step_reads_back_as_the_same_workload(error, capsys, tmp_path):
    direct = _json(capsys, ["mlp"])
    assert main(["mlp", "--export", str(tmp_path)]) == 0
    capsys.readouterr()
    back = _json(capsys, [str(tmp_path / "topology.csv")])
    assert [r["name"] for r in back] == [r["name"] for r in direct]
    assert [(r["macs"], r["e_total_pj"]) for r in back] == [(r["macs"], r["e_total_pj"]) for r in direct]
    forward = 784 * 1000 + 1000 * 1000 + 1000 * 10
    assert direct[-1]["macs"] == 64 * (3 * forward - 784 * 1000)   # no input gradient of the first layer
    assert "holds a training step" in error([str(tmp_path / "topology.csv"), "--phase", "inference"])
    # the case of the issue: a 784-256-10 MLP at batch 16 is a 6.5 M-MAC training step (not 16.4 M)
    assert main(["mlp-small", "--batch", "16", "--export", str(tmp_path / "small")]) == 0
    capsys.readouterr()
    assert _json(capsys, [str(tmp_path / "small" / "topology.csv")])[-1]["macs"] == 6_545_408


def test_formats_from_the_command_line_equal_the_api(capsys):
    rows = _json(capsys, ["mlp-small", "--word-bits", "8", "--frac-bits", "6", "--acc-bits", "24",
                          "--rounding", "nearest_even", "--role", "errors=s16.14", "--role", "weight_grads=float16"])
    precision = Precision(fxp.Format(8, 6), "s8.6", fxp.Format(16, 14), "float16", acc=fxp.Accumulator(24),
                          rounding="nearest_even")
    report = estimate(mlp_workload([784, 256, 10], 64), precision=precision)
    assert rows[-1]["e_total_pj"] == report.totals["e_total_pj"]
    assert {r["name"]: r["a_bits"] for r in rows if r["phase"] == "input_grad"} == {"fc2/input_grad": 16}
    rows = _json(capsys, ["mlp-small", "--word-bits", "8", "--role", "errors=s16.14:floor", "--gemm-acc",
                          "weight_grad=20"])
    phases = {r["phase"]: r for r in rows if r["name"].startswith("fc2")}
    assert phases["input_grad"]["rounding"] == "floor" and phases["forward"]["rounding"] == "stochastic"
    assert phases["weight_grad"]["acc_bits"] == 20 and phases["forward"]["acc_bits"] > 20


def test_every_table_as_csv_and_json(capsys):
    assert main(["mlp-small", "--output-format", "csv"]) == 0
    records = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert records[-1]["name"] == "TOTAL" and {"e_rng_pj", "sram_reads_ifmap", "pj_per_mac"} <= set(records[0])
    rows = _json(capsys, ["mlp-small", "--compare"])
    assert [r["precision"] for r in rows][:2] == ["float32", "bfloat16"] and rows[0]["energy_ratio"] == 1
    assert main(["mlp-small", "--compare", "--output-format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("precision,energy_uj")


class Square(fxp_nn.Layer):
    """A custom layer with no multiply-accumulates declared."""

    def forward(self, x, num):
        return x

    def energy_gemms(self, input_shape, batch_size):
        return []


class Bilinear(fxp_nn.Layer):
    """A custom layer that declares one GEMM: (batch, 4) @ (4, 4)."""

    def output_shape(self, input_shape):
        return (4,)

    def energy_gemms(self, input_shape, batch_size):
        return [Gemm("mix", batch_size, 4, 4)]


class Opaque(fxp_nn.Layer):
    pass


def test_per_layer_policies_and_custom_layers(error, capsys, tmp_path):
    model = fxp_nn.mlp([16, 8, 4], policy=fxp_nn.PrecisionPolicy.gupta(16, 12))
    model.layers[3].policy = fxp_nn.PrecisionPolicy.fixed(8, 6, "nearest_even")
    report = estimate(model, input_shape=(16,), batch_size=2)
    bits = {r["name"]: r["a_bits"] for r in report.records if "a_bits" in r}
    assert bits["1.Linear"] == 16 and bits["3.Linear"] == 8 and bits["3.Linear/weight_grad"] == 8
    assert next(r for r in report.records if r["name"] == "3.Linear/update")["rounding"] == "nearest_even"
    custom = fxp_nn.Sequential(fxp_nn.Flatten(), Square(), fxp_nn.Linear(16, 4), Bilinear())
    names = [r["name"] for r in estimate(custom, input_shape=(16,)).records]
    assert "3.Bilinear" in names and "3.Bilinear/update" not in names and "1.Square" not in names
    with pytest.raises(TypeError, match=r"layer 1\.Opaque: the energy model cannot cost a Opaque; .*energy_gemms"):
        estimate(fxp_nn.Sequential(fxp_nn.Flatten(), Opaque(), fxp_nn.Linear(16, 4)), input_shape=(16,))
    fxp_nn.save(tmp_path / "m.npz", model)
    rows = _json(capsys, [str(tmp_path / "m.npz"), "--input-shape", "16", "--batch", "2"])
    assert rows[-1]["e_total_pj"] == report.totals["e_total_pj"]
    assert "needs --input-shape" in error([str(tmp_path / "m.npz")])


@pytest.mark.parametrize("argv, message", [
    (["mlp", "--role", "bias=s8.6"], "--role takes ROLE=FORMAT"),
    (["mlp", "--role", "weights=x9"], "unknown number format 'x9'"),
    (["mlp", "--role", "errors=s8.6:up"], "unknown rounding 'up'"),
    (["mlp", "--role", "weights=s8.6:floor"], "use --update-rounding"),
    (["mlp", "--gemm-acc", "backward=20"], "--gemm-acc takes PHASE=BITS"),
    (["mlp", "--precision", "int8", "--word-bits", "8"], "give either --precision or formats"),
    (["mlp", "--frac-bits", "6"], "--frac-bits needs --word-bits"),
    (["mlp", "--explain", "nope"], "no record named 'nope'"),
    (["mlp", "--batch", "0"], "--batch: must be a positive integer"),
    (["mlp", "--rounding", "up"], "invalid choice: 'up'"),
    (["nope"], "unknown workload 'nope'"),
    (["{tmp}/missing.npz", "--input-shape", "4"], "missing.npz: no such file"),
    (["{tmp}/bad.npz", "--input-shape", "4"], "bad.npz: truncated or corrupt"),
])
def test_errors_are_one_line(error, capsys, tmp_path, argv, message):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert message in error([a.replace("{tmp}", str(tmp_path)) for a in argv])


def test_number_formats_are_read_from_the_fxp_vocabulary():
    assert NumberFormat.of(fxp.Format(12, 9)) == NumberFormat("fixed", 12, 9) == NumberFormat.of("s12.9")
    assert NumberFormat.of(fxp_nn.TensorPrecision("Q1.14")) == NumberFormat("fixed", 16, 14)
    assert NumberFormat.of("bfloat16").is_float
    assert Precision.from_policy(fxp_nn.PrecisionPolicy.fixed(16, 12, acc_bits=24)).acc == NumberFormat("fixed", 24, 24)
    with pytest.raises(TypeError, match="got int"):
        NumberFormat.of(3)
