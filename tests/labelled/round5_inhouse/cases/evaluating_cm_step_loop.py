"""Step-based LSTM activity classifier; periodic evaluation through the team's `evaluating` helper."""
import functools
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


@contextmanager
def evaluating(model):
    """eval() + no_grad() for the block; the previous training flag is restored on exit."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


class ActivityLSTM(nn.Module):
    def __init__(self, n_channels=9, hidden=128, n_classes=6):
        super().__init__()
        self.lstm = nn.LSTM(n_channels, hidden, num_layers=2, dropout=0.3, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(self.drop(out[:, -1]))


def evaluate_on(model, loader):
    correct = total = 0
    with evaluating(model) as m:
        for x, y in loader:
            correct += (m(x).argmax(-1) == y).sum().item()
            total += y.numel()
    return correct / max(total, 1)


def infinite(loader):
    while True:
        yield from loader


def main(max_steps=20000, eval_every=1000):
    train_loader = DataLoader(torch.load("har_train.pt"), batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(torch.load("har_val.pt"), batch_size=256)
    test_x, test_y = torch.load("har_test.pt")

    model = ActivityLSTM()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=max_steps)
    validate = functools.partial(evaluate_on, model, val_loader)

    model.train()
    best = 0.0
    for step, (x, y) in enumerate(infinite(train_loader)):
        if step == max_steps:
            break
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % eval_every == 0:
            acc = validate()
            print(f"step {step}: loss {loss.item():.4f} val acc {acc:.4f}")
            if acc > best:
                best = acc
                torch.save(model.state_dict(), "har_best.pt")

    model.load_state_dict(torch.load("har_best.pt"))
    with evaluating(model):
        pred = model(test_x).argmax(-1)
    print(f"best val {best:.4f}, test acc {(pred == test_y).float().mean().item():.4f}")


if __name__ == "__main__":
    main()
