"""Knowledge distillation: ResNet-50 teacher -> MobileNetV3-Small student on an ImageFolder dataset.

The teacher is put in eval mode and frozen once, before the loop; the student is switched
to training mode at the start of every epoch and validated through a helper.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, models, transforms


def loaders(root, bs):
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])
    train_ds = datasets.ImageFolder(f"{root}/train", train_tf)
    val_ds = datasets.ImageFolder(f"{root}/val", val_tf)
    return (torch.utils.data.DataLoader(train_ds, bs, shuffle=True, num_workers=8, drop_last=True),
            torch.utils.data.DataLoader(val_ds, bs, num_workers=8), len(train_ds.classes))


def kd_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.9):
    soft = F.kl_div(F.log_softmax(student_logits / T, -1), F.softmax(teacher_logits / T, -1),
                    reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)


@torch.no_grad()
def validate(net, loader, device):
    net.eval()
    top1 = n = 0
    for x, y in loader:
        top1 += (net(x.to(device, non_blocking=True)).argmax(1).cpu() == y).sum().item()
        n += y.numel()
    return top1 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--epochs", type=int, default=90)
    ap.add_argument("--bs", type=int, default=128)
    args = ap.parse_args()
    device = torch.device("cuda")
    train_loader, val_loader, n_classes = loaders(args.root, args.bs)

    teacher = models.resnet50(num_classes=n_classes)
    teacher.load_state_dict(torch.load(args.teacher, map_location="cpu"))
    teacher = teacher.to(device)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad = False
    print(f"teacher top-1 {validate(teacher, val_loader, device):.4f}")

    student = models.mobilenet_v3_small(num_classes=n_classes).to(device)
    opt = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    best = 0.0
    for epoch in range(args.epochs):
        student.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(x)
            loss = kd_loss(student(x), t_logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
        acc = validate(student, val_loader, device)
        print(f"epoch {epoch}: kd loss {loss.item():.4f} student top-1 {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(student.state_dict(), "student_best.pt")


if __name__ == "__main__":
    main()
