"""Training through the Python API and the CLI on the tiny random model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from mlc.bundle.folder import load_bundle_model, read_bundle_info
from mlc.commands.train import fit
from mlc.core.errors import ConfigError
from mlc.training.args import TrainArgs
from mlc.training.schedule import stages_for
from mlc.training.trainer import Trainer, TrainingDivergedError

from .conftest import run_module


def tiny_args(tiny_model_dir, tmp_path, **kw):
    base = dict(data="examples/support_tickets.csv", model=str(tiny_model_dir), output=str(tmp_path / "bundle"),
                max_steps=6, batch_size=8, epochs=1, language_epochs=0.05, max_length=32, logging_steps=1)
    base.update(kw)
    return TrainArgs(**base)


@pytest.mark.parametrize("schedule", ["joint", "per-language-then-joint"])
def test_schedules_train_and_report_validation_per_stage(tiny_model_dir, tmp_path, schedule):
    args = tiny_args(tiny_model_dir, tmp_path, schedule=schedule, max_steps=0, epochs=0.05)
    result = Trainer(args).train()
    stages = list(result.stage_metrics)
    if schedule == "joint":
        assert stages == ["joint"]
    else:
        assert stages[-1] == "joint" and len(stages) == 9 and all(s.startswith("language:") for s in stages[:-1])
    assert set(result.stage_metrics[stages[-1]]) >= {"en", "zh", "ar", "all"}
    for metrics in result.stage_metrics.values():
        assert 0.0 < metrics["all"]["macro_ap"] <= 1.0  # threshold-free, so defined even while F1 at 0.5 is 0


def test_per_language_writes_one_bundle_per_language_with_its_own_labels(tiny_model_dir, tmp_path):
    from mlc import Classifier
    from mlc.core.errors import ModelError

    folder = tmp_path / "data"
    folder.mkdir()
    words = ["order", "refund", "late", "broken", "parcel", "account", "login", "invoice"]
    (folder / "en.csv").write_text("text,late,broken\n" + "".join(
        f"{words[i % 8]} {words[(i * 3) % 8]} {i},{i % 2},{(i // 2) % 2}\n" for i in range(40)), encoding="utf-8")
    (folder / "de.csv").write_text("text,late\n" + "".join(
        f"{words[(i * 5) % 8]} {i} bitte,{i % 2}\n" for i in range(30)), encoding="utf-8")
    output = tmp_path / "models"
    result = fit(tiny_args(tiny_model_dir, tmp_path, data=str(folder), output=str(output), schedule="per-language",
                             max_steps=0, language_epochs=1, max_length=16))
    assert result.bundles == {"en": "en", "de": "de"}  # largest first
    assert set(result.stage_metrics) == {"language:en", "language:de"}
    assert read_bundle_info(output / "en")["labels"] == ["late", "broken"]
    assert read_bundle_info(output / "de")["labels"] == ["late"]
    assert Classifier.load(output / "de").predict_proba(["bitte"]).shape == (1, 1)
    assert json.loads((output / "languages.json").read_text()) == {"schedule": "per-language",
                                                                    "bundles": {"en": "en", "de": "de"}}
    with pytest.raises(ModelError, match="one bundle per language"):
        Classifier.load(output)
    with pytest.raises(ConfigError, match="every language is trained already"):
        fit(tiny_args(tiny_model_dir, tmp_path, data=str(folder), output=str(output), schedule="per-language",
                        max_steps=0, language_epochs=1, max_length=16, resume=True))
    with pytest.raises(ConfigError, match="one model per language"):
        Trainer(tiny_args(tiny_model_dir, tmp_path, schedule="per-language"))


@pytest.mark.parametrize("options", [dict(loss="focal"), dict(pos_weight="auto", pos_weight_max=3.0),
                                     dict(problem="single_label", label_column="labels"),
                                     dict(pooling="mean", oversample_rare=0.5, language_temperature=2.0),
                                     dict(pooling="cls", layer_lr_decay=0.8, head_lr=1e-3, freeze_layers=1,
                                          gradient_accumulation=2)])
def test_losses_problem_types_and_options_lower_the_loss(tiny_model_dir, tmp_path, options):
    args = tiny_args(tiny_model_dir, tmp_path, schedule="joint", max_steps=0, epochs=3, learning_rate=1e-3,
                     logging_steps=1, freeze_embeddings=False, **options)
    log = (tmp_path / "log.jsonl").open("w")
    Trainer(args, log=log).train()
    log.close()
    losses = [json.loads(line)["loss"] for line in (tmp_path / "log.jsonl").read_text().splitlines()
              if '"loss"' in line]
    assert len(losses) > 100
    tenth = len(losses) // 10
    assert np.mean(losses[-tenth:]) < 0.95 * np.mean(losses[:tenth])


def test_bundle_reloads_and_predicts_identically(tiny_model_dir, tmp_path):
    result = fit(tiny_args(tiny_model_dir, tmp_path, schedule="joint"))
    folder = tmp_path / "bundle"
    info = read_bundle_info(folder)
    assert info["labels"] == result.data.labels
    assert set(info["thresholds"]["per_label"]) == set(info["labels"])
    config = json.loads((folder / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification" and config["id2label"]["0"] == info["labels"][0]
    assert {"README.md", "metrics.json", "training_args.json", "train-log.jsonl"} <= {p.name for p in folder.iterdir()}
    model, tokenizer, _ = load_bundle_model(folder)
    batch = tokenizer(["Mi pedido no llegó", "我的账户被锁定了"], padding=True, return_tensors="pt")
    result.model.cpu().eval()  # trained on a GPU when there is one
    with torch.no_grad():
        assert torch.allclose(model(**batch).logits, result.model(**batch).logits, atol=1e-5)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("objective", ["global-f1", "none"])
def test_thresholds_are_tuned_on_validation_and_held_back_training_rows(tiny_model_dir, tmp_path, objective):
    lines = Path("examples/support_tickets.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "train.csv").write_text("".join(lines[:1] + lines[1::2]), encoding="utf-8")
    (tmp_path / "dev.csv").write_text("".join(lines[:1] + lines[2::2]), encoding="utf-8")
    result = fit(tiny_args(tiny_model_dir, tmp_path, schedule="joint", data=str(tmp_path / "train.csv"),
                             validation=str(tmp_path / "dev.csv"), threshold_holdout=0.2,
                             threshold_objective=objective))
    splits = {name: set(result.data[name]["id"]) for name in ("train", "holdout", "validation")}
    held = len(splits["holdout"])
    assert abs(held - 104) <= 10 and len(splits["train"]) + held == 521 and not splits["train"] & splits["holdout"]
    thresholds = read_bundle_info(tmp_path / "bundle")["thresholds"]
    values = set(thresholds["per_label"].values())
    if objective == "none":
        assert values == {0.5}
    else:
        assert len(values) == 1 and thresholds["source"] == f"global-f1 on validation (521 rows) and holdout ({held} rows)"


def test_bundle_loads_in_a_transformers_pipeline_without_mlc(tiny_model_dir, tmp_path):
    import subprocess
    import sys

    result = fit(tiny_args(tiny_model_dir, tmp_path, schedule="joint", max_steps=5))
    texts = ["Mi pedido no llegó", "我的账户被锁定了"]
    result.model.cpu().eval()
    with torch.no_grad():
        batch = result.tokenizer(texts, padding=True, return_tensors="pt")
        expected = torch.sigmoid(result.model(**batch).logits).numpy()
    script = (
        "import json, sys\n"
        "from transformers import pipeline\n"
        "assert 'mlc' not in sys.modules\n"
        "try:\n"
        "    pipeline('text-classification', model=sys.argv[1])\n"
        "    print('LOADED WITHOUT REMOTE CODE')\n"
        "except Exception as error:\n"
        "    print('refused:', type(error).__name__)\n"
        "p = pipeline('text-classification', model=sys.argv[1], trust_remote_code=True, top_k=None,\n"
        "             function_to_apply='sigmoid')\n"
        "print(json.dumps(p(json.loads(sys.argv[2]))))\n")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "bundle"), json.dumps(texts)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.strip().splitlines()
    assert "LOADED WITHOUT REMOTE CODE" not in lines and any("refused: ValueError" in line for line in lines)
    scores = json.loads(lines[-1])
    for row, probs in zip(scores, expected, strict=True):
        by_label = {item["label"]: item["score"] for item in row}
        assert np.allclose([by_label[label] for label in result.data.labels], probs, atol=1e-5)


def test_nan_loss_stops_with_the_step_named(tiny_model_dir, tmp_path):
    with pytest.raises(TrainingDivergedError, match=r"loss became nan at step 2 .*learning-rate"):
        Trainer(tiny_args(tiny_model_dir, tmp_path, schedule="joint", learning_rate=float("inf"))).train()
    assert not (tmp_path / "bundle").exists()


@pytest.mark.parametrize(("native", "precision", "expected"), [(True, "auto", "bf16"), (False, "auto", "fp32"),
                                                              (False, "bf16", "bf16"), (True, "fp32", "fp32")])
def test_cpu_precision_auto_is_bf16_only_where_the_cpu_has_bf16_instructions(tiny_model_dir, tmp_path, monkeypatch,
                                                                             capsys, native, precision, expected):
    monkeypatch.setattr("mlc.model.dtypes.cpu_has_native_bf16", lambda: native)
    result = Trainer(tiny_args(tiny_model_dir, tmp_path, schedule="joint", device="cpu", precision=precision,
                               max_steps=2)).train()
    assert result.precision == expected
    log = capsys.readouterr().err
    assert f"precision {expected}" in log
    assert ("bf16 is emulated" in log) == (precision == "bf16" and not native)


def test_pos_weight_is_clipped():
    from mlc.training.losses import positive_weights

    labels = np.array([[1, 0], [0, 0], [0, 0], [0, 0]] * 250)
    labels[0, 1] = 1
    w = positive_weights(labels, np.ones_like(labels), "auto", 10.0)
    assert w.tolist() == [3.0, 10.0]
    assert np.allclose(positive_weights(labels, np.ones_like(labels), "sqrt", 100.0), [3 ** 0.5, 999 ** 0.5])


def test_cls_last4_concatenates_four_layers_and_needs_them(tiny_model_dir, tmp_path):
    from transformers import BertConfig, BertModel

    from mlc.model.modeling import MlcForSequenceClassification

    with pytest.raises(ConfigError, match="cls-last4 needs at least 3 encoder layers"):
        Trainer(tiny_args(tiny_model_dir, tmp_path, pooling="cls-last4", max_steps=1)).train()
    deeper = tmp_path / "deeper"
    BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(deeper)
    model = MlcForSequenceClassification.from_encoder(str(deeper), ["a", "b", "c"], "cls-last4").eval()
    assert model.head.in_features == 64
    ids = torch.tensor([[2, 5, 6, 3]])
    assert model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits.shape == (1, 3)


def test_language_order_and_bad_options(tiny_model_dir, tmp_path):
    args = tiny_args(tiny_model_dir, tmp_path, language_order=["zh", "en"])
    from mlc.data import load_data

    data = load_data(args)
    assert [s.name for s in stages_for(args, data)] == ["language:zh", "language:en", "joint"]
    with pytest.raises(ConfigError, match="without training rows: xx"):
        stages_for(tiny_args(tiny_model_dir, tmp_path, language_order=["xx"]), data)
    with pytest.raises(ConfigError, match="--batch-size must be at least 1, got 0"):
        tiny_args(tiny_model_dir, tmp_path, batch_size=0).validate()


def test_cli_trains_and_rejects_bad_options(tiny_model_dir, tmp_path):
    out = run_module("mlc.train", "--data", "examples/support_tickets.csv", "--model", str(tiny_model_dir),
                     "--output", str(tmp_path / "b"), "--max-steps", "3", "--schedule", "joint", "--max-length", "32")
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["steps"] == 3
    bad = run_module("mlc.train", "--data", "examples/support_tickets.csv", "--output", str(tmp_path / "c"),
                     "--device", "cuda:0") if not torch.cuda.is_available() else None
    if bad is not None:
        assert bad.returncode == 2 and "no CUDA GPU" in bad.stderr
    assert run_module("mlc.train", "--help").returncode == 0


def test_resume_continues_exactly_where_the_checkpoint_left_off(tiny_model_dir, tmp_path):
    common = dict(schedule="per-language-then-joint", language_epochs=0.1, epochs=0.2, learning_rate=1e-3)
    straight = Trainer(tiny_args(tiny_model_dir, tmp_path / "a", max_steps=12, **common)).train()
    first = Trainer(tiny_args(tiny_model_dir, tmp_path / "b", max_steps=7, checkpoint_steps=7, **common))
    first.train()
    checkpoint = tmp_path / "b" / "bundle.checkpoint"
    assert json.loads((checkpoint / "state.json").read_text())["global_step"] == 7
    resumed = Trainer(tiny_args(tiny_model_dir, tmp_path / "b", max_steps=12, resume=True, **common)).train()
    assert resumed.steps == 12
    # Bit-exact on CPU; a GPU's backward kernels may sum in another order, so allow their rounding there.
    atol = 1e-6 if next(straight.model.parameters()).device.type == "cpu" else 1e-4
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=atol), name


def test_resume_refuses_changed_options_and_missing_checkpoints(tiny_model_dir, tmp_path):
    with pytest.raises(ConfigError, match="no checkpoint to resume from"):
        Trainer(tiny_args(tiny_model_dir, tmp_path, resume=True)).train()
    Trainer(tiny_args(tiny_model_dir, tmp_path, max_steps=2, checkpoint_steps=2, schedule="joint")).train()
    with pytest.raises(ConfigError, match="cannot resume with different batch_size"):
        Trainer(tiny_args(tiny_model_dir, tmp_path, batch_size=4, resume=True, schedule="joint")).train()


def test_resume_compares_the_data_as_it_was_read_not_as_it_is_when_the_checkpoint_is_saved(tiny_model_dir, tmp_path):
    data = tmp_path / "tickets.csv"
    shutil.copyfile("examples/support_tickets.csv", data)
    first = Trainer(tiny_args(tiny_model_dir, tmp_path, data=str(data), max_steps=2, checkpoint_steps=2,
                              schedule="joint"))
    with data.open("a", encoding="utf-8") as handle:  # edited after the run read it, before its checkpoint
        handle.write('x-new,"A late row",en,billing\n')
    first.train()
    with pytest.raises(ConfigError, match="the training data changed since the checkpoint was saved"):
        Trainer(tiny_args(tiny_model_dir, tmp_path, data=str(data), resume=True, schedule="joint")).train()


def test_cli_resumes_after_kill_9(tiny_model_dir, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from .conftest import ROOT

    cmd = [sys.executable, "-m", "mlc.train", "--data", "examples/support_tickets.csv", "--model",
           str(tiny_model_dir), "--output", str(tmp_path / "b"), "--schedule", "joint", "--epochs", "40",
           "--max-length", "32", "--batch-size", "8", "--checkpoint-steps", "5"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = tmp_path / "b.checkpoint" / "state.json"
    deadline = time.time() + 120
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert state.exists() and not (tmp_path / "b").exists()
    step = json.loads(state.read_text())["global_step"]
    out = run_module(*cmd[2:], "--resume", "--max-steps", str(step + 3))
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"resuming joint at batch {step + 1}" in out.stderr
    assert json.loads(out.stdout)["steps"] == step + 3
    assert (tmp_path / "b" / "mlc.json").exists() and not (tmp_path / "b.checkpoint").exists()


def test_python_api_is_exposed_at_the_package_top(tiny_model_dir, tmp_path):
    import mlc

    result = mlc.fit(mlc.TrainArgs(data="examples/support_tickets.csv", model=str(tiny_model_dir),
                                     output=str(tmp_path / "api"), max_steps=2, schedule="joint", max_length=32))
    assert result.steps == 2 and (tmp_path / "api" / "thresholds.json").exists()


def test_early_stopping_stops_a_stage_that_does_not_improve(tiny_model_dir, tmp_path):
    args = tiny_args(tiny_model_dir, tmp_path, schedule="joint", max_steps=0, epochs=1, learning_rate=1e-12,
                     head_lr=1e-12, eval_steps=1, early_stopping_patience=2)
    log = (tmp_path / "log.jsonl").open("w")
    result = Trainer(args, log=log).train()
    log.close()
    evals = [line for line in (tmp_path / "log.jsonl").read_text().splitlines() if '"eval"' in line]
    assert result.steps == 3  # best at step 1, no better at steps 2 and 3
    assert len(evals) == 4  # three in-stage evaluations and the stage's final one
    with pytest.raises(ConfigError, match="needs --eval-steps"):
        tiny_args(tiny_model_dir, tmp_path, early_stopping_patience=2).validate()


def test_early_stopping_breaks_f1_ties_by_average_precision():
    from mlc.training.early_stopping import BestTracker

    model = torch.nn.Linear(1, 1)

    def evaluation(f1, ap):
        return {"all": {"macro_f1": f1, "macro_ap": ap}}

    # Every score still under 0.5 (F1 0) while the ranking improves: training goes on instead of stopping at the
    # third evaluation, as ranking by F1 alone did.
    rising = BestTracker(patience=2)
    assert not any(rising.update(evaluation(0.0, ap), model, 10 * i) for i, ap in enumerate((0.30, 0.35, 0.40, 0.45)))
    assert rising.batches == 30  # where the best evaluation came (what a refit trains to)
    flat = BestTracker(patience=2)
    assert [flat.update(evaluation(0.0, 0.3), model, 10 * i) for i in range(3)] == [False, False, True]
    assert flat.batches == 0
    first = BestTracker(patience=1)  # F1 ranks first: a higher F1 with a lower AP is better
    first.update(evaluation(0.2, 0.9), model, 10)
    assert not first.update(evaluation(0.3, 0.5), model, 20) and first.score == 0.3 and first.batches == 20


def test_resume_keeps_early_stopping_state(tiny_model_dir, tmp_path):
    # A learning rate too small to change any prediction: the first evaluation stays the best, so patience 3 stops
    # the stage at step 4, whether or not the run was interrupted at step 2 and resumed.
    common = dict(schedule="joint", epochs=1, learning_rate=1e-12, head_lr=1e-12, eval_steps=1,
                  early_stopping_patience=3)
    straight = Trainer(tiny_args(tiny_model_dir, tmp_path / "a", max_steps=0, **common)).train()
    Trainer(tiny_args(tiny_model_dir, tmp_path / "b", max_steps=2, checkpoint_steps=2, **common)).train()
    state = json.loads((tmp_path / "b" / "bundle.checkpoint" / "state.json").read_text())
    assert state["early_stopping"]["bad"] == 1 and (tmp_path / "b" / "bundle.checkpoint" / "best.safetensors").exists()
    resumed = Trainer(tiny_args(tiny_model_dir, tmp_path / "b", max_steps=0, resume=True, **common)).train()
    assert straight.steps == resumed.steps == 4


def test_truncated_texts_are_counted(tiny_model_dir, tmp_path):
    path = tmp_path / "d.csv"
    rows = ["id,text,a,b", "1,short one,1,0", "2," + " ".join(["order"] * 40) + ",0,1", "3,another short,0,1",
            "4," + " ".join(["refund parcel"] * 20) + ",1,1"]
    path.write_text("\n".join(rows) + "\n")
    args = tiny_args(tiny_model_dir, tmp_path, data=str(path), max_length=16, validation_size=0, max_steps=1,
                     schedule="joint")
    assert Trainer(args).train().truncated == 2


def test_torchrun_two_cpu_processes_share_the_batches_and_write_one_bundle(tiny_model_dir, tmp_path):
    """The several-process path (DDP) on CPU with gloo: the same code runs one process per GPU with NCCL."""
    import subprocess
    import sys

    from .conftest import ROOT

    out = tmp_path / "bundle"
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "mlc.train",
         "--data", "examples/support_tickets.csv", "--model", str(tiny_model_dir), "--output", str(out),
         "--schedule", "joint", "--epochs", "0.2", "--max-length", "32", "--batch-size", "8", "--device", "cpu",
         "--checkpoint-steps", "4"], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout[run.stdout.index("{"):])  # one JSON summary: rank 0 alone reports
    # 937 training rows / batch 8 = 118 batches per epoch; 0.2 epochs = 24 batches, 12 per process.
    assert summary["processes"] == 2 and summary["steps"] == 12
    assert "training on 2 processes" in run.stderr and run.stderr.count("after joint") == 1
    assert json.loads((out / "metrics.json").read_text())["processes"] == 2
    model, tokenizer, _ = load_bundle_model(out)
    assert model(**tokenizer(["hola"], return_tensors="pt")).logits.shape == (1, 8)
    assert not (tmp_path / "bundle.checkpoint").exists()


GRADIENT_PROBE = """
import sys

import torch

from mlc.model import distributed
from mlc.training.args import TrainArgs
from mlc.training.trainer import Trainer


def capture(self, model, optimizer, scheduler):  # the first optimiser step: its gradients, then stop
    if distributed.current().main:
        torch.save({n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None},
                   sys.argv[3])
    raise SystemExit(0)


Trainer._optimizer_step = capture
Trainer(TrainArgs(data="examples/support_tickets.csv", model=sys.argv[1], output=sys.argv[2], schedule="joint",
                  epochs=1, batch_size=8, max_length=32, dropout=0.0, device="cpu", precision="fp32",
                  gradient_accumulation=int(sys.argv[4]))).train()
"""


def test_two_processes_accumulating_gradients_take_the_step_one_process_takes(tiny_model_dir, tmp_path):
    """DDP with gradient accumulation (local backward passes in no_sync(), one all-reduce on the step's last batch):
    2 processes x 2 batches give rank 0 the gradients of 1 process x 4 batches (the same 4 batches, no dropout)."""
    import os
    import subprocess
    import sys

    import torch

    from .conftest import ROOT

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    config = json.loads((model / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (model / "config.json").write_text(json.dumps(config))
    probe = tmp_path / "probe.py"
    probe.write_text(GRADIENT_PROBE)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    launches = {"one": ([sys.executable], "4"),
                "two": ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"], "2")}
    grads = {}
    for name, (launcher, accumulation) in launches.items():
        out = tmp_path / f"{name}.pt"
        run = subprocess.run([*launcher, str(probe), str(model), str(tmp_path / f"bundle-{name}"), str(out),
                              accumulation], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        grads[name] = torch.load(out)
    assert grads["one"].keys() == grads["two"].keys() and len(grads["one"]) > 10
    for key, one in grads["one"].items():
        assert one.abs().sum() > 0, key
        assert torch.allclose(grads["two"][key], one, rtol=1e-4, atol=1e-7), key
