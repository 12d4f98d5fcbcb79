"""Post-hoc temperature scaling for the released DenseNet-121 skin-lesion classifier.

The network itself is not retrained: one scalar temperature is fitted on the validation
logits with LBFGS and written next to the checkpoint for the serving config.
"""
import argparse
import json

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import densenet121


def make_loader(root, batch_size):
    tf = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    return DataLoader(datasets.ImageFolder(root, tf), batch_size=batch_size, num_workers=4)


def collect_logits(model, loader, device):
    logits, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            logits.append(model(x.to(device)))
            labels.append(y.to(device))
    return torch.cat(logits), torch.cat(labels)


def fit_temperature(logits, labels, max_iter=100):
    temperature = torch.full((1,), 1.5, device=logits.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([temperature], lr=0.01, max_iter=max_iter)

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / temperature, labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return temperature.detach().item()


def expected_calibration_error(probs, labels, n_bins=15):
    conf, pred = probs.max(dim=1)
    correct = pred.eq(labels).float()
    edges = torch.linspace(0, 1, n_bins + 1, device=probs.device)
    ece = torch.zeros((), device=probs.device)
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.float().mean() * (conf[in_bin].mean() - correct[in_bin].mean()).abs()
    return ece.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--val-dir", required=True)
    ap.add_argument("--test-dir", required=True)
    ap.add_argument("--num-classes", type=int, default=7)
    ap.add_argument("--out", default="calibration.json")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = densenet121(num_classes=args.num_classes)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.to(device)

    val_logits, val_labels = collect_logits(model, make_loader(args.val_dir, 128), device)
    t = fit_temperature(val_logits, val_labels)

    test_logits, test_labels = collect_logits(model, make_loader(args.test_dir, 128), device)
    before = expected_calibration_error(test_logits.softmax(1), test_labels)
    after = expected_calibration_error((test_logits / t).softmax(1), test_labels)
    print(f"temperature={t:.3f}  test ECE {before:.4f} -> {after:.4f}")
    with open(args.out, "w") as fh:
        json.dump({"temperature": t, "ece_before": before, "ece_after": after}, fh, indent=2)


if __name__ == "__main__":
    main()
