"""pretrain -> finetune -> evaluate -> export in one script, with checkpoints between phases.

    python pretrain_finetune_export.py all --data data/ --out runs/exp1
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Encoder(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.layers = nn.Sequential(conv_bn(3, width), conv_bn(width, 2 * width, 2), conv_bn(2 * width, 4 * width, 2))
        self.out_dim = 4 * width

    def forward(self, x):
        return self.layers(x).mean(dim=(2, 3))


class Classifier(nn.Module):
    def __init__(self, encoder, n_classes):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(encoder.out_dim, n_classes))

    def forward(self, x):
        return self.head(self.encoder(x))


def rotate_batch(images):
    k = torch.randint(0, 4, (images.size(0),))
    rotated = torch.stack([torch.rot90(img, int(r), dims=(1, 2)) for img, r in zip(images, k)])
    return rotated, k


def pretrain(args, loader):
    """Self-supervised rotation prediction on unlabeled images."""
    encoder = Encoder()
    rot_head = nn.Linear(encoder.out_dim, 4)
    opt = torch.optim.SGD(list(encoder.parameters()) + list(rot_head.parameters()), lr=0.05, momentum=0.9)
    encoder.train()
    for epoch in range(args.pretrain_epochs):
        for images, _ in loader:
            x, k = rotate_batch(images)
            loss = F.cross_entropy(rot_head(encoder(x)), k)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"[pretrain] epoch {epoch} loss {loss.item():.4f}")
    path = os.path.join(args.out, "encoder.pt")
    torch.save(encoder.state_dict(), path)
    return path


def finetune(args, encoder_path, loader):
    """Linear evaluation protocol: frozen encoder, trainable head."""
    encoder = Encoder()
    encoder.load_state_dict(torch.load(encoder_path, map_location="cpu"))
    encoder.requires_grad_(False)
    model = Classifier(encoder, args.num_classes)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-3)
    for epoch in range(args.finetune_epochs):
        model.train()
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"[finetune] epoch {epoch} loss {loss.item():.4f}")
    path = os.path.join(args.out, "classifier.pt")
    torch.save(model.state_dict(), path)
    return path


def load_classifier(args, path):
    model = Classifier(Encoder(), args.num_classes)
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.eval()


def evaluate(args, path, loader):
    model = load_classifier(args, path)
    correct = total = 0
    with torch.inference_mode():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def export(args, path):
    model = load_classifier(args, path)
    example = torch.randn(1, 3, 32, 32)
    traced = torch.jit.trace(model, example)
    with torch.no_grad():
        assert torch.allclose(traced(example), model(example), atol=1e-5)
    traced.save(os.path.join(args.out, "classifier.torchscript.pt"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("phase", choices=["pretrain", "finetune", "evaluate", "export", "all"])
    ap.add_argument("--data", default="data")
    ap.add_argument("--out", default="runs/exp")
    ap.add_argument("--num-classes", type=int, default=10)
    ap.add_argument("--pretrain-epochs", type=int, default=100)
    ap.add_argument("--finetune-epochs", type=int, default=30)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    enc_path = os.path.join(args.out, "encoder.pt")
    clf_path = os.path.join(args.out, "classifier.pt")

    if args.phase in ("pretrain", "all"):
        unlabeled = DataLoader(torch.load(f"{args.data}/unlabeled.pt"), batch_size=256, shuffle=True, drop_last=True)
        enc_path = pretrain(args, unlabeled)
    if args.phase in ("finetune", "all"):
        labeled = DataLoader(torch.load(f"{args.data}/train.pt"), batch_size=128, shuffle=True)
        clf_path = finetune(args, enc_path, labeled)
    if args.phase in ("evaluate", "all"):
        test_loader = DataLoader(torch.load(f"{args.data}/test.pt"), batch_size=512)
        print(f"[evaluate] top-1 {evaluate(args, clf_path, test_loader):.4f}")
    if args.phase in ("export", "all"):
        export(args, clf_path)


if __name__ == "__main__":
    main()
