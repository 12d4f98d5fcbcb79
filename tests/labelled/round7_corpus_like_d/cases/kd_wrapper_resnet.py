"""Knowledge distillation: ResNet-50 teacher -> MobileNetV3 student, wrapped in one nn.Module."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms
from torchvision.models import ResNet50_Weights, mobilenet_v3_small, resnet50


class Distiller(nn.Module):
    def __init__(self, teacher, student, T=4.0, alpha=0.7):
        super().__init__()
        self.teacher, self.student = teacher, student
        self.teacher.requires_grad_(False)
        self.T, self.alpha = T, alpha

    def forward(self, images, labels):
        with torch.no_grad():
            t_logits = self.teacher(images)
        s_logits = self.student(images)
        kd = F.kl_div(F.log_softmax(s_logits / self.T, -1), F.softmax(t_logits / self.T, -1),
                      reduction="batchmean") * self.T ** 2
        return self.alpha * kd + (1 - self.alpha) * F.cross_entropy(s_logits, labels)


def train_epoch(distiller, loader, optimizer, device):
    distiller.train()
    for images, labels in loader:
        loss = distiller(images.to(device), labels.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.inference_mode()
def evaluate(student, loader, device):
    student.eval()
    correct = 0
    for images, labels in loader:
        correct += (student(images.to(device)).argmax(1).cpu() == labels).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="imagenette2-320")
    ap.add_argument("--teacher-ckpt", default="resnet50_imagenette.pt")
    ap.add_argument("--epochs", type=int, default=60)
    args = ap.parse_args()
    device = torch.device("cuda")
    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_ds = datasets.ImageFolder(f"{args.data}/train", transforms.Compose(
        [transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_ds = datasets.ImageFolder(f"{args.data}/val", transforms.Compose(
        [transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=8)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=256, num_workers=8)

    teacher = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
    teacher.fc = nn.Linear(2048, 10)
    teacher.load_state_dict(torch.load(args.teacher_ckpt, map_location="cpu"))
    student = mobilenet_v3_small(num_classes=10)
    distiller = Distiller(teacher, student).to(device)
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-3, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    for epoch in range(args.epochs):
        loss = train_epoch(distiller, train_loader, optimizer, device)
        scheduler.step()
        print(f"epoch {epoch}: kd loss {loss:.4f} student acc {evaluate(student, val_loader, device):.4f}")
    torch.save(student.state_dict(), "mobilenet_v3_small_kd.pt")


if __name__ == "__main__":
    main()
