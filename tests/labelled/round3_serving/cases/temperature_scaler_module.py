"""Temperature-scaled wrapper for a trained classifier (Guo et al., 2017).

`TemperatureScaler.fit` freezes nothing in the network and trains nothing in it either: the
wrapped model only produces validation logits (eval mode, no grad) and the single
temperature parameter is optimised with LBFGS on those logits.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision.models import resnet18


class TemperatureScaler(nn.Module):
    def __init__(self, model, init_t=1.5):
        super().__init__()
        self.model = model
        self.temperature = nn.Parameter(torch.full((1,), init_t))

    def forward(self, x):
        return self.model(x) / self.temperature

    def fit(self, loader, max_iter=50):
        self.eval()
        device = self.temperature.device
        logits, labels = [], []
        with torch.no_grad():
            for x, y in loader:
                logits.append(self.model(x.to(device)))
                labels.append(y.to(device))
        logits, labels = torch.cat(logits), torch.cat(labels)

        optimizer = torch.optim.LBFGS([self.temperature], lr=0.01, max_iter=max_iter)

        def closure():
            optimizer.zero_grad()
            loss = F.cross_entropy(logits / self.temperature, labels)
            loss.backward()
            return loss

        optimizer.step(closure)
        return self.temperature.item()

    @torch.no_grad()
    def predict_proba(self, x):
        return F.softmax(self(x), dim=-1)


def nll_and_acc(probs, labels):
    nll = F.nll_loss(probs.clamp_min(1e-12).log(), labels).item()
    return nll, (probs.argmax(-1) == labels).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="resnet18_cifar.pt")
    ap.add_argument("--val", default="cifar_val.pt")
    ap.add_argument("--test", default="cifar_test.pt")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = resnet18(num_classes=10)
    net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    scaler = TemperatureScaler(net).to(device)

    x_val, y_val = torch.load(args.val)
    t = scaler.fit(DataLoader(TensorDataset(x_val, y_val), batch_size=500))

    x_test, y_test = torch.load(args.test)
    probs, labels = [], []
    for x, y in DataLoader(TensorDataset(x_test, y_test), batch_size=500):
        probs.append(scaler.predict_proba(x.to(device)).cpu())
        labels.append(y)
    nll, acc = nll_and_acc(torch.cat(probs), torch.cat(labels))
    print(f"T={t:.3f}  test NLL={nll:.4f}  acc={acc:.4f}")
    torch.save({"temperature": t}, "temperature.pt")


if __name__ == "__main__":
    main()
