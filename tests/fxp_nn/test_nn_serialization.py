"""Model files and checkpoints: safe .npz + JSON (no pickle), exact round trips, clear errors naming the file."""
import io
import json
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import fxp
import fxp.random
import fxp_nn
from fxp_nn import SGD, Layer, PrecisionPolicy, SerializationError, TensorPrecision, checkpoint, lenet, mlp
from fxp_nn.serialization import HEADER, decode, encode


def _fixed_mlp():
    model = mlp([64, 16, 10], policy=PrecisionPolicy.gupta(16, 10, "stochastic"), seed=1)
    model.layers[-1].policy = model.policy.replace(
        activations=TensorPrecision("s16.8", "stochastic"), acc_bits=28,
        gemm_accumulators={"weight_grad": fxp.Accumulator(24, "wrap", chunk=8)}, name="logits s16.8")
    model.rng = fxp.random.Xoroshiro128Plus(5)
    return model


def _inputs(shape=(6, 64)):
    return np.random.default_rng(0).random(shape)


def _trained(model, x, steps=2):
    opt = SGD(model, 0.1, momentum=0.9)
    for _ in range(steps):
        logits = model.forward(x)
        loss = fxp_nn.SoftmaxCrossEntropy()
        loss.forward(np.asarray(logits, dtype=np.float64), np.arange(len(x)) % 10)
        model.backward(loss.backward())
        opt.step()
    return opt


def test_saved_model_reloads_in_a_fresh_process_with_identical_logits(tmp_path):
    model = _fixed_mlp()
    x = _inputs()
    _trained(model, x)
    fxp_nn.save(tmp_path / "m.npz", model)
    np.save(tmp_path / "x.npy", x)
    expected = np.asarray(model.forward(x)).tobytes().hex()
    code = ("import sys, numpy as np, fxp_nn; m = fxp_nn.load(sys.argv[1]); "
            "print(np.asarray(m.forward(np.load(sys.argv[2]))).tobytes().hex())")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.npz"), str(tmp_path / "x.npy")],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == expected


def test_round_trip_keeps_parameters_formats_policies_and_generator(tmp_path):
    model = lenet((1, 16, 16), 10, policy=PrecisionPolicy.fixed(16, 12, "nearest_even", acc_bits=30), seed=2)
    model.rng = fxp.random.Xoroshiro128Plus(3)
    model.forward(_inputs((2, 1, 16, 16)))
    fxp_nn.save(tmp_path / "lenet.npz", model)
    loaded = fxp_nn.load(tmp_path / "lenet.npz")
    assert [repr(a) for a in loaded.layers] == [repr(b) for b in model.layers]
    assert loaded.policy == model.policy and loaded.rng.state == model.rng.state
    for (name, p), (name2, q) in zip(model.named_parameters(), loaded.named_parameters()):
        assert name == name2 and p.value.fmt == q.value.fmt
        np.testing.assert_array_equal(p.value.raw, q.value.raw)
    custom = _fixed_mlp()
    state = encode(custom.state_dict())
    again = decode(*state)
    assert again["layer_policies"] == {n: layer.policy for n, layer in
                                       zip([custom.layer_name(i) for i in range(4)], custom.layers)}


def test_files_hold_no_pickle_and_load_with_allow_pickle_false(tmp_path):
    model = _fixed_mlp()
    opt = _trained(model, _inputs())
    checkpoint.save(tmp_path / "c.npz", model, opt, np.random.default_rng(0), [{"epoch": 1}], {"lr": 0.1})
    with zipfile.ZipFile(tmp_path / "c.npz") as zf:
        names = zf.namelist()
        assert names[0] == HEADER and all(n.endswith(".npy") for n in names[1:])
        assert b"pickle" not in zf.read(HEADER) and json.loads(zf.read(HEADER))["kind"] == "checkpoint"
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        assert all(npz[k[:-4]].dtype.kind in "iuf" for k in names[1:])
    # a checkpoint also loads as a model, and restores the optimizer's state exactly (0-d arrays too)
    assert fxp_nn.load(tmp_path / "c.npz").policy == model.policy
    fresh = SGD(model, 0.1, momentum=0.9)
    checkpoint.load(tmp_path / "c.npz", model, fresh, np.random.default_rng(1))
    saved, restored = opt.state_dict(), fresh.state_dict()
    assert list(saved) == list(restored) and restored["step_count"].shape == ()
    for key in saved:
        np.testing.assert_array_equal(np.asarray(saved[key]), np.asarray(restored[key]))


def _model_opt_rng():
    model = mlp([64, 16, 10])
    return model, SGD(model, 0.1), np.random.default_rng(0)


def _crafted(path, header, arrays=None):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(HEADER, json.dumps(header))
        for name, data in (arrays or {}).items():
            zf.writestr(name, data)
    return path


def test_a_crafted_file_cannot_run_code(tmp_path):
    base = {"format": "fxp_nn", "version": 1, "kind": "model"}
    evil = _crafted(tmp_path / "evil.npz", {**base, "architecture": {"__type__": "os.system",
                                                                      "config": {"command": "echo hi"}}})
    with pytest.raises(SerializationError, match=r"evil\.npz.*unknown type 'os\.system'"):
        fxp_nn.load(evil)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([print], dtype=object), allow_pickle=True)
    objects = _crafted(tmp_path / "objects.npz", {**base, "architecture": {"__array__": "a0", "fmt": None}},
                       {"a0.npy": buf.getvalue()})
    with pytest.raises(SerializationError, match=r"objects\.npz.*corrupt"):
        fxp_nn.load(objects)
    with pytest.raises(SerializationError, match=r"nested\.npz: corrupt file: expected a mapping holding 'parameters'"):
        checkpoint.load(_crafted(tmp_path / "nested.npz", {**base, "kind": "checkpoint", "state": []}),
                        *_model_opt_rng())
    deep = tmp_path / "deep.npz"
    with zipfile.ZipFile(deep, "w") as zf:
        zf.writestr(HEADER, '{"format": "fxp_nn", "version": 1, "kind": "model", "architecture": '
                    + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(SerializationError, match=r"deep\.npz: truncated or corrupt"):
        fxp_nn.load(deep)
    (tmp_path / "old.pkl").write_bytes(pickle.dumps({"params": []}))
    with pytest.raises(SerializationError, match=r"old\.pkl: truncated or corrupt"):
        fxp_nn.load(tmp_path / "old.pkl")


def test_truncated_missing_key_and_missing_file_name_the_file(tmp_path):
    model = _fixed_mlp()
    opt = _trained(model, _inputs())
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, model, opt, np.random.default_rng(0), [], {})
    data = path.read_bytes()
    (tmp_path / "short.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(SerializationError, match=r"short\.npz: truncated or corrupt"):
        checkpoint.load(tmp_path / "short.npz", model, opt, np.random.default_rng(0))
    with zipfile.ZipFile(path) as zf:
        header = json.loads(zf.read(HEADER))
        arrays = {n: zf.read(n) for n in zf.namelist() if n != HEADER}
    del header["shuffle_rng"]
    _crafted(tmp_path / "nokey.npz", header, arrays)
    with pytest.raises(SerializationError, match=r"nokey\.npz: missing entry 'shuffle_rng'"):
        checkpoint.load(tmp_path / "nokey.npz", model, opt, np.random.default_rng(0))
    with pytest.raises(FileNotFoundError, match="absent.npz"):
        fxp_nn.load(tmp_path / "absent.npz")
    with pytest.raises(SerializationError, match=r"a model file, expected checkpoint"):
        fxp_nn.save(tmp_path / "model.npz", model)
        checkpoint.load(tmp_path / "model.npz", model, opt, np.random.default_rng(0))
    other = mlp([64, 8, 10], policy=model.policy)
    with pytest.raises(SerializationError, match=r"checkpoint\.npz: parameter 1\.Linear\.weight has shape"):
        checkpoint.load(path, other, SGD(other, 0.1), np.random.default_rng(0))


def test_models_pickle_after_training():
    model = _fixed_mlp()
    x = _inputs()
    _trained(model, x)
    twin = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(np.asarray(twin.forward(x)), np.asarray(model.forward(x)))


class _Scale(Layer):
    def __init__(self, factor):
        self.factor = factor

    def forward(self, x, num):
        return num.scale(num.to_role(x, "activations"), self.factor, "activations")


def test_custom_layers_need_a_config_to_be_saved(tmp_path):
    model = fxp_nn.Sequential(fxp_nn.Flatten(), _Scale(0.5), fxp_nn.Linear(4, 2))
    with pytest.raises(TypeError, match=r"layers\[1\]: cannot save a .*_Scale; register the class"):
        fxp_nn.save(tmp_path / "m.npz", model)
    model.layers[1] = fxp_nn.serializable(type("NoConfig", (_Scale,), {}), name="tests.NoConfig")(0.5)
    with pytest.raises(NotImplementedError, match="NoConfig has constructor arguments: implement to_config"):
        fxp_nn.save(tmp_path / "m.npz", model)

    @fxp_nn.serializable(name="tests.Scale")
    class Scale(_Scale):
        def to_config(self):
            return {"factor": self.factor}

    model.layers[1] = Scale(0.5)
    fxp_nn.save(tmp_path / "m.npz", model)
    assert fxp_nn.load(tmp_path / "m.npz").layers[1].factor == 0.5
    with pytest.raises(TypeError, match="needs a to_config"):
        fxp_nn.serializable(type("Bare", (), {}))
    with pytest.raises(ValueError, match="'tests.Scale' is already registered"):
        fxp_nn.serializable(type("Other", (_Scale,), {"to_config": Scale.to_config}), name="tests.Scale")
    with pytest.raises(TypeError, match=r"state\.parameters.*cannot save a builtins\.object"):
        encode({"parameters": {"w": object()}})


def test_load_state_dict_checks_names_and_shapes():
    model = _fixed_mlp()
    state = model.state_dict()
    other = mlp([64, 16, 10])
    other.load_state_dict(state)
    assert other.policy == model.policy and other.layers[-1].policy == model.layers[-1].policy
    with pytest.raises(KeyError, match=r"missing \['3\.Linear\.bias'\]"):
        other.load_state_dict({**state, "parameters": {k: v for k, v in state["parameters"].items()
                                                        if k != "3.Linear.bias"}})
    with pytest.raises(ValueError, match=r"1\.Linear\.weight: shape \(64, 16\) in the state dict, \(64, 8\)"):
        mlp([64, 8, 10]).load_state_dict(state)
    with pytest.raises(KeyError, match="no 'rng' entry"):
        other.load_state_dict({k: v for k, v in state.items() if k != "rng"})


def test_train_eval_predict_and_repr():
    model = _fixed_mlp()
    assert model.training and model.eval() is model and not model.training
    assert all(not layer.training for layer in model.layers)
    model.train()
    x = _inputs()
    key = model.rng.state
    with model.inference():
        expected = np.asarray(model.forward(x)).argmax(axis=1)
    model.rng.state = key
    np.testing.assert_array_equal(model.predict(x), expected)
    assert model.predict(x, batch_size=4).shape == (6,)
    assert model.training and model.saturation.report() == {}
    with pytest.raises(ValueError, match="empty"):
        model.predict(x[:0])
    text = repr(model)
    assert "(3) Linear(16, 10, bias=True)  policy: logits s16.8" in text
    assert text.endswith("policy: fixed WL=16 FL=10 SR (layers without their own)")
    assert model.policy_summary() == "fixed WL=16 FL=10 SR; 3.Linear: logits s16.8"
