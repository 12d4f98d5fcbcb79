"""Self-training for a small image classifier: after each epoch on the labelled set, the
unlabelled pool is scored by a streaming generator and confident predictions become
pseudo-labels for the next epoch."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import ConcatDataset, DataLoader, TensorDataset


class WideBlockNet(nn.Module):
    def __init__(self, n_classes=10, width=64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(2 * width, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


@torch.no_grad()
def stream_scores(model, loader, min_batch=1):
    assert hasattr(model, "eval") and callable(model.eval), "stream_scores needs an nn.Module"
    model.eval()
    for (images,) in loader:
        if (logits := model(images)).shape[0] < min_batch:
            continue
        conf, label = logits.softmax(-1).max(1)
        yield images, label, conf


def pseudo_label(model, unlabeled_loader, threshold):
    xs, ys = [], []
    for images, label, conf in stream_scores(model, unlabeled_loader):
        keep = conf >= threshold
        xs.append(images[keep])
        ys.append(label[keep])
    return TensorDataset(torch.cat(xs), torch.cat(ys))


def main():
    pool = torch.load("cifar_semi.pt")
    labelled = TensorDataset(pool["x_lab"], pool["y_lab"])
    unlabeled_loader = DataLoader(TensorDataset(pool["x_unl"]), batch_size=512)
    model = WideBlockNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, nesterov=True, weight_decay=5e-4)
    train_set = labelled
    for rnd in range(10):
        model.train()
        for x, y in DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        pseudo = pseudo_label(model, unlabeled_loader, threshold=0.95)
        train_set = ConcatDataset([labelled, pseudo])
        print(f"round {rnd}: loss {loss.item():.4f}, {len(pseudo)} pseudo-labels")
    torch.save(model.state_dict(), "self_trained.pt")


if __name__ == "__main__":
    main()
