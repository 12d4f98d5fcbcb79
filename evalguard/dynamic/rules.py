"""The runtime-only rules EG101–EG104: found by `evalguard check --confirm`, never by
the static checker. Same shape as the static rules (`code`, `name`, `summary`, `docs`),
so `evalguard rules` / `evalguard rule EG101` can list and print them."""
from __future__ import annotations

from dataclasses import dataclass

from evalguard.diagnostics import ERROR, WARNING


@dataclass(frozen=True)
class DynamicRule:
    code: str
    name: str
    summary: str
    severity: str
    docs: str

    def __repr__(self) -> str:
        return f"<DynamicRule {self.code} {self.name}>"


_COMMON = """
## How it is found

Only `evalguard check SCRIPT --confirm` finds it: the script runs in a child process
with global module forward hooks (see `docs/dynamic.md`). It is reported at the line of
the user's code that made the forward call (for a call made inside a library, the line
of the user's code that called into the library), with status `confirmed`.
A static finding that the run confirms at the same call is not repeated as {code}.
"""

EG101 = DynamicRule(
    "EG101",
    "runtime-train-mode-inference",
    "A forward pass observed in inference context ran with mode-sensitive layers in training mode.",
    ERROR,
    """# EG101 runtime-train-mode-inference

## What it does

Reports a forward call that ran for inference while the called module was in training
mode and at least one of its mode-sensitive layers (Dropout with p > 0, BatchNorm or
InstanceNorm tracking running statistics, RNN/attention dropout, a module of your own
code whose `forward` reads `self.training`) was in training mode.

"Inference context" is judged from what happened, conservatively, for the calls made
from one place along one call path:

- they ran under `torch.no_grad()` or `torch.inference_mode()`;
- no output of any of them ever took part in a backward pass;
- they were not made while a module was being built (a dummy forward in `__init__` to
  infer shapes);
- they are not part of the training steps: two of them ran with no optimizer step in
  between (a validation loop), or the last one ran after the last optimizer step (a
  final test, or a script that never trains). A `no_grad` forward made once per
  training step — a GAN generator's fakes for the critic, a frozen feature extractor, a
  momentum encoder — is training, not inference, and is not reported.

When the forward is caught, evalguard replays it once on a deep copy of the module in
eval mode, on the same inputs (the user's model and random state are untouched), and
reports how far the outputs are apart and how many argmax predictions change.

## Why is this bad?

Dropout drops activations at random and BatchNorm normalises with the statistics of
the current batch and overwrites its running averages. The predictions are noisy, depend
on the batch, and the model's BatchNorm statistics are changed by the evaluation data.

## Example

```python
model = Net()
model.load_state_dict(torch.load("ckpt.pt"))
with torch.no_grad():
    preds = model(images).argmax(1)  # EG101: Dropout/BatchNorm in training mode
```

## Use instead

```python
model.eval()
with torch.no_grad():
    preds = model(images).argmax(1)
```
""" + _COMMON.format(code="EG101") + """
## Limits

Calls that run with gradients enabled and no backward are left to the static EG001
(they are ambiguous at runtime), and so is an inference call made once between two
training steps (a single validation batch per epoch): the static finding at that call
is still confirmed by the run. Monte-Carlo dropout done with `model.train()` under
`no_grad` is reported; enabling only the Dropout layers (the model itself in eval mode)
is not.
""",
)

EG102 = DynamicRule(
    "EG102",
    "runtime-frozen-bn-drift",
    "BatchNorm running statistics changed in a module whose parameters are all frozen.",
    ERROR,
    """# EG102 runtime-frozen-bn-drift

## What it does

Reports a training forward call during which a BatchNorm layer whose parameters never
train — all have `requires_grad=False`, or none is in any optimizer — ran in training
mode and its `running_mean`/`running_var` changed. The change is measured (a snapshot
before and after the layer's forward) and counted only when an optimizer step follows,
so inference-only scripts never get this finding.

## Why is this bad?

Freezing the weights does not freeze BatchNorm: in training mode it keeps updating its
running statistics from the fine-tuning data, so the frozen backbone drifts away from
the statistics it was trained with, and eval-mode predictions change although no weight
did.

## Example

```python
model.backbone.requires_grad_(False)
for epoch in range(epochs):
    model.train()                      # puts the frozen backbone's BatchNorm in training mode
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)   # EG102 here
```

## Use instead

```python
    model.train()
    model.backbone.eval()              # frozen part: running statistics stay fixed
```

or replace its BatchNorm with `torchvision.ops.FrozenBatchNorm2d`.
""" + _COMMON.format(code="EG102") + """
## Limits

BatchNorm without affine parameters (`affine=False`) has no parameters of its own to be
frozen and is not checked. `momentum=0` does not change the statistics and is not reported.
""",
)

EG103 = DynamicRule(
    "EG103",
    "runtime-grad-in-inference",
    "An inference forward pass built an autograd graph.",
    WARNING,
    """# EG103 runtime-grad-in-inference

## What it does

Reports a forward call whose output built an autograd graph (gradients enabled, an
output with a `grad_fn`) that no backward pass ever used, at a place that is evidently
inference: no call from there (along that call path) fed a backward pass, the calls are
not part of the training steps (as for EG101: two ran with no optimizer step between,
or the last one after the last step), and the module was in eval mode or other calls
from the same place ran under `no_grad`.

## Why is this bad?

Autograd keeps every intermediate activation alive for a backward pass that never
comes: inference uses several times the memory it needs and runs slower. The results
are the same, which is why it goes unnoticed until a larger batch runs out of memory.

## Example

```python
model.eval()
for x, _ in val_loader:
    preds.append(model(x).argmax(1))  # EG103: builds a graph per batch
```

## Use instead

```python
model.eval()
with torch.inference_mode():
    for x, _ in val_loader:
        preds.append(model(x).argmax(1))
```
""" + _COMMON.format(code="EG103") + """
## Limits

A training-mode forward with gradients on and no backward is ambiguous at runtime and
left to the static EG002. `torch.jit.trace`/export calls are not recorded.
""",
)

EG104 = DynamicRule(
    "EG104",
    "runtime-bn-single-sample",
    "BatchNorm ran in training mode on one sample per channel.",
    ERROR,
    """# EG104 runtime-bn-single-sample

## What it does

Reports a forward call in which a BatchNorm layer in training mode received a single
value per channel (for example a batch of one `(1, C)` vector, or `(1, C, 1, 1)` after
global pooling).

## Why is this bad?

Batch statistics of one value are meaningless, and PyTorch raises
`ValueError: Expected more than 1 value per channel when training` — usually far from
the real cause: a model left in training mode for single-sample inference, or a last
training batch of one sample.

## Example

```python
model = Net()                          # training mode
pred = model(x.unsqueeze(0))           # EG104, then ValueError
```

## Use instead

```python
model.eval()
with torch.no_grad():
    pred = model(x.unsqueeze(0))
```

For training, drop the incomplete last batch: `DataLoader(..., drop_last=True)`.
""" + _COMMON.format(code="EG104"),
)

RULES: tuple[DynamicRule, ...] = (EG101, EG102, EG103, EG104)


def get_rule(code: str) -> DynamicRule:
    """A runtime rule by code or name (case-insensitive); KeyError when there is none."""
    key = code.strip().lower()
    for rule in RULES:
        if rule.code.lower() == key or rule.name == key:
            return rule
    raise KeyError(code)
