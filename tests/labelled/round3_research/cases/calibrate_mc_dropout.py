"""Evaluation script from a paper repo: temperature scaling on the validation split, then test-set
metrics (accuracy, NLL, ECE), optionally with Monte-Carlo dropout (--mc-dropout)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class MLPClassifier(nn.Module):
    def __init__(self, d_in, n_classes, hidden=512, p=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden), nn.LayerNorm(hidden), nn.GELU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.LayerNorm(hidden), nn.GELU(), nn.Dropout(p),
            nn.Linear(hidden, n_classes))

    def forward(self, x):
        return self.net(x)


def expected_calibration_error(probs, labels, n_bins=15):
    conf, pred = probs.max(1)
    bins = torch.linspace(0, 1, n_bins + 1)
    ece = torch.zeros(())
    for lo, hi in zip(bins[:-1], bins[1:]):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.float().mean() * ((pred[mask] == labels[mask]).float().mean() - conf[mask].mean()).abs()
    return ece.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--weights', default='runs/mlp_seed0/best.pt')
    parser.add_argument('--data', default='data/features.pt')
    parser.add_argument('--mc-dropout', action='store_true', help='keep dropout active at test time')
    parser.add_argument('--mc-samples', type=int, default=30)
    args = parser.parse_args()

    splits = torch.load(args.data)  # {'val': (x, y), 'test': (x, y)}
    val_loader = DataLoader(TensorDataset(*splits['val']), batch_size=512)
    test_loader = DataLoader(TensorDataset(*splits['test']), batch_size=512)
    model = MLPClassifier(splits['val'][0].shape[1], int(splits['val'][1].max()) + 1)
    model.load_state_dict(torch.load(args.weights, map_location='cpu'))

    # 1) temperature scaling: fit a single scalar on deterministic validation logits
    model.eval()
    with torch.no_grad():
        val_logits = torch.cat([model(x) for x, _ in val_loader])
    val_labels = torch.cat([y for _, y in val_loader])
    temperature = nn.Parameter(torch.ones(1) * 1.5)
    lbfgs = torch.optim.LBFGS([temperature], lr=0.01, max_iter=100)

    def closure():
        lbfgs.zero_grad()
        nll = F.cross_entropy(val_logits / temperature, val_labels)
        nll.backward()
        return nll

    lbfgs.step(closure)
    T = temperature.item()
    print(f'fitted temperature: {T:.3f}')

    # 2) test metrics; with --mc-dropout the dropout layers stay active and we average several passes
    model.train(mode=args.mc_dropout)
    n_passes = args.mc_samples if args.mc_dropout else 1
    all_probs, all_labels = [], []
    with torch.no_grad():
        for x, y in test_loader:
            probs = torch.stack([F.softmax(model(x) / T, dim=1) for _ in range(n_passes)]).mean(0)
            all_probs.append(probs)
            all_labels.append(y)
    probs, labels = torch.cat(all_probs), torch.cat(all_labels)
    acc = (probs.argmax(1) == labels).float().mean().item()
    nll = F.nll_loss(probs.clamp_min(1e-12).log(), labels).item()
    print(f'acc {acc:.4f}  nll {nll:.4f}  ece {expected_calibration_error(probs, labels):.4f}')


if __name__ == '__main__':
    main()
