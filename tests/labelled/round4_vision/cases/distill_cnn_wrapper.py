"""Distil a fine-tuned ResNet-101 teacher into a ResNet-18 student on a 100-class subset.

The teacher and student live in one wrapper module so the whole thing can be moved,
DDP-wrapped and checkpointed as one object.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets
from torchvision.models import ResNet18_Weights, resnet18, resnet101


class Distiller(nn.Module):
    def __init__(self, student, teacher, temperature=4.0, alpha=0.9):
        super().__init__()
        self.student = student
        self.teacher = teacher.eval()
        self.teacher.requires_grad_(False)
        self.T, self.alpha = temperature, alpha

    def forward(self, x, y):
        s_logits = self.student(x)
        with torch.no_grad():
            t_logits = self.teacher(x)
        kd = F.kl_div(F.log_softmax(s_logits / self.T, dim=1), F.log_softmax(t_logits / self.T, dim=1),
                      reduction="batchmean", log_target=True) * self.T ** 2
        return self.alpha * kd + (1 - self.alpha) * F.cross_entropy(s_logits, y)


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/imagenet100")
    ap.add_argument("--teacher-ckpt", default="resnet101_in100.pt")
    ap.add_argument("--epochs", type=int, default=90)
    args = ap.parse_args()
    device = torch.device("cuda")

    tf = ResNet18_Weights.IMAGENET1K_V1.transforms()
    train_loader = torch.utils.data.DataLoader(datasets.ImageFolder(f"{args.data}/train", tf), batch_size=256,
                                               shuffle=True, num_workers=12, drop_last=True)
    val_loader = torch.utils.data.DataLoader(datasets.ImageFolder(f"{args.data}/val", tf), batch_size=512,
                                             num_workers=12)

    teacher = resnet101(num_classes=100)
    teacher.load_state_dict(torch.load(args.teacher_ckpt, map_location="cpu"))
    student = resnet18(num_classes=100)
    distiller = Distiller(student, teacher).to(device)

    optimizer = torch.optim.SGD(distiller.student.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    for epoch in range(args.epochs):
        distiller.train()
        for x, y in train_loader:
            loss = distiller(x.to(device, non_blocking=True), y.to(device, non_blocking=True))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = evaluate(distiller.student, val_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} student top-1 {acc:.4f}")
    torch.save(distiller.student.state_dict(), "resnet18_distilled.pt")


if __name__ == "__main__":
    main()
