"""Logit distillation: a fine-tuned ResNet-50 teacher and a ResNet-18 student live in one
nn.Module so that AMP / checkpointing / .to(device) only deal with a single object."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models import ResNet18_Weights, resnet18, resnet50


class DistillWrapper(nn.Module):
    def __init__(self, num_classes, temperature=4.0, alpha=0.7):
        super().__init__()
        self.teacher = resnet50(num_classes=num_classes)
        self.student = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
        self.student.fc = nn.Linear(self.student.fc.in_features, num_classes)
        self.teacher.requires_grad_(False)
        self.T, self.alpha = temperature, alpha

    def load_teacher(self, path):
        self.teacher.load_state_dict(torch.load(path, map_location="cpu"))
        self.teacher.eval()

    def forward(self, x, y=None):
        s_logits = self.student(x)
        if y is None:
            return s_logits
        with torch.no_grad():
            t_logits = self.teacher(x)
        kd = F.kl_div(F.log_softmax(s_logits / self.T, dim=-1), F.softmax(t_logits / self.T, dim=-1),
                      reduction="batchmean") * self.T ** 2
        return self.alpha * kd + (1 - self.alpha) * F.cross_entropy(s_logits, y)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1)
            correct += (pred.cpu() == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", required=True, help="state dict of the fine-tuned ResNet-50")
    ap.add_argument("--train", default="train_ds.pt")
    ap.add_argument("--val", default="val_ds.pt")
    ap.add_argument("--classes", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--lr", type=float, default=0.05)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = DistillWrapper(args.classes)
    model.load_teacher(args.teacher)
    model.to(device)
    optimizer = torch.optim.SGD(model.student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    train_loader = DataLoader(torch.load(args.train), batch_size=128, shuffle=True, num_workers=8)
    val_loader = DataLoader(torch.load(args.val), batch_size=256, num_workers=8)

    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = model(x.to(device), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = evaluate(model, val_loader, device)
        if acc > best:
            best = acc
            torch.save(model.student.state_dict(), "student_best.pt")
        print(f"epoch {epoch}: kd loss {loss.item():.4f} student top1 {acc:.4f} (best {best:.4f})")


if __name__ == "__main__":
    main()
