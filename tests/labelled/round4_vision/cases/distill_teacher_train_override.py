"""CNN knowledge distillation (EfficientNet-B3 teacher -> MobileNetV3-Small student) for a
mobile deployment. The wrapper overrides train() so that the frozen teacher always stays in
eval mode, whatever the training loop does to the wrapper."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets
from torchvision.models import MobileNet_V3_Small_Weights, efficientnet_b3, mobilenet_v3_small


class KDWrapper(nn.Module):
    def __init__(self, student, teacher, T=2.0, alpha=0.5):
        super().__init__()
        self.student, self.teacher = student, teacher
        self.teacher.requires_grad_(False)
        self.T, self.alpha = T, alpha

    def train(self, mode=True):
        super().train(mode)
        self.teacher.eval()   # BN statistics and dropout of the teacher stay frozen
        return self

    def forward(self, x, y):
        logits = self.student(x)
        with torch.no_grad():
            soft = F.softmax(self.teacher(x) / self.T, dim=1)
        kd = F.kl_div(F.log_softmax(logits / self.T, dim=1), soft, reduction="batchmean") * self.T ** 2
        return self.alpha * kd + (1 - self.alpha) * F.cross_entropy(logits, y), logits


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    hit = 0
    for x, y in loader:
        hit += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return hit / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/food101")
    ap.add_argument("--teacher", default="effb3_food101.pt")
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args()
    device = torch.device("cuda")

    tf = MobileNet_V3_Small_Weights.IMAGENET1K_V1.transforms()
    train_loader = torch.utils.data.DataLoader(datasets.ImageFolder(f"{args.data}/train", tf), batch_size=128,
                                               shuffle=True, num_workers=8, drop_last=True)
    val_loader = torch.utils.data.DataLoader(datasets.ImageFolder(f"{args.data}/val", tf), batch_size=256,
                                             num_workers=8)
    teacher = efficientnet_b3(num_classes=101)
    teacher.load_state_dict(torch.load(args.teacher, map_location="cpu"))
    student = mobilenet_v3_small(weights=MobileNet_V3_Small_Weights.IMAGENET1K_V1)
    student.classifier[3] = nn.Linear(student.classifier[3].in_features, 101)
    kd = KDWrapper(student, teacher).to(device)

    print(f"teacher val acc {evaluate(kd.teacher, val_loader, device):.4f}")
    optimizer = torch.optim.AdamW(kd.student.parameters(), lr=1e-3, weight_decay=0.01)
    for epoch in range(args.epochs):
        kd.train()
        for x, y in train_loader:
            loss, _ = kd(x.to(device), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f} student val acc {evaluate(kd.student, val_loader, device):.4f}")
    torch.save(kd.student.state_dict(), "mnv3s_food101_kd.pt")


if __name__ == "__main__":
    main()
