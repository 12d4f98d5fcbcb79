"""Active learning on an image pool with MC-dropout BALD acquisition.

For acquisition the network is put in eval mode (BatchNorm uses running statistics) and
then only its Dropout layers are switched back on, so repeated passes sample different
dropout masks. This is deliberate Monte-Carlo dropout.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset


class SmallCNN(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                                  nn.Dropout(0.5), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.head(self.features(x))


def enable_mc_dropout(net):
    for m in net.modules():
        if isinstance(m, nn.Dropout):
            m.train()


def bald_scores(model, pool_loader, samples=20):
    model.eval()
    enable_mc_dropout(model)
    scores = []
    with torch.no_grad():
        for x, _ in pool_loader:
            probs = torch.stack([model(x).softmax(-1) for _ in range(samples)])
            mean = probs.mean(0)
            entropy = -(mean * mean.clamp_min(1e-12).log()).sum(-1)
            expected = -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean(0)
            scores.append(entropy - expected)
    return torch.cat(scores)


@torch.no_grad()
def test_accuracy(model, test_loader):
    model.eval()
    correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test_loader)
    return correct / len(test_loader.dataset)


def fit(model, dataset, epochs=30):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, drop_last=len(dataset) > 64)
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()


def active_learning(train_set, test_set, initial=100, per_round=50, rounds=20):
    labeled = list(torch.randperm(len(train_set))[:initial].tolist())
    test_loader = DataLoader(test_set, batch_size=512)
    history = []
    for r in range(rounds):
        model = SmallCNN()
        fit(model, Subset(train_set, labeled))
        history.append(test_accuracy(model, test_loader))
        taken = set(labeled)
        pool = [i for i in range(len(train_set)) if i not in taken]
        pool_loader = DataLoader(Subset(train_set, pool), batch_size=512)
        scores = bald_scores(model, pool_loader)
        labeled += [pool[i] for i in scores.topk(per_round).indices.tolist()]
        print(f"round {r}: {len(labeled)} labels, test acc {history[-1]:.4f}")
    return history
