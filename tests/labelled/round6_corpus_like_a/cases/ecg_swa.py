"""ECG beat classification (5 AAMI classes) with a 1-D ResNet and stochastic weight averaging."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader


class ResBlock1d(nn.Module):
    def __init__(self, ch, k=7):
        super().__init__()
        self.c1, self.b1 = nn.Conv1d(ch, ch, k, padding=k // 2, bias=False), nn.BatchNorm1d(ch)
        self.c2, self.b2 = nn.Conv1d(ch, ch, k, padding=k // 2, bias=False), nn.BatchNorm1d(ch)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        return F.relu(x + self.b2(self.c2(self.drop(F.relu(self.b1(self.c1(x)))))))


class ECGNet(nn.Module):
    def __init__(self, n_classes=5, ch=64, blocks=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(1, ch, 15, padding=7, bias=False), nn.BatchNorm1d(ch), nn.ReLU())
        self.blocks = nn.Sequential(*[ResBlock1d(ch) for _ in range(blocks)])
        self.fc = nn.Linear(ch, n_classes)

    def forward(self, x):  # (B, 1, 360)
        return self.fc(self.blocks(self.stem(x)).mean(-1))


@torch.no_grad()
def evaluate(net, loader, device):
    net.eval()
    correct = n = 0
    for beats, labels in loader:
        correct += (net(beats.to(device)).argmax(1).cpu() == labels).sum().item()
        n += labels.numel()
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--swa-start", type=int, default=45)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(torch.load("mitbih_train.pt"), batch_size=256, shuffle=True)
    val_loader = DataLoader(torch.load("mitbih_val.pt"), batch_size=1024)
    test_loader = DataLoader(torch.load("mitbih_test.pt"), batch_size=1024)

    model = ECGNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.swa_start)
    swa_model = AveragedModel(model)
    swa_scheduler = SWALR(optimizer, swa_lr=0.01)

    for epoch in range(args.epochs):
        model.train()
        for beats, labels in train_loader:
            loss = F.cross_entropy(model(beats.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch >= args.swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        print(f"epoch {epoch}: val acc {evaluate(model, val_loader, device):.4f}")

    update_bn(train_loader, swa_model, device=device)
    print(f"test acc: last {evaluate(model, test_loader, device):.4f}  SWA {evaluate(swa_model, test_loader, device):.4f}")
    torch.save(swa_model.module.state_dict(), "ecg_swa.pt")


if __name__ == "__main__":
    main()
