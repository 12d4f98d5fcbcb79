"""Road-damage segmentation: ImageNet timm ResNet-34 encoder (frozen) + light FPN decoder.
Only the decoder is trained; the encoder is kept as a fixed feature extractor."""
import argparse

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class FPNSeg(nn.Module):
    def __init__(self, n_classes, width=128):
        super().__init__()
        self.encoder = timm.create_model("resnet34", pretrained=True, features_only=True, out_indices=(1, 2, 3, 4))
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in self.encoder.feature_info.channels())
        self.head = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, n_classes, 1),
        )

    def forward(self, x):
        feats = self.encoder(x)
        y = self.lateral[-1](feats[-1])
        for f, lat in zip(reversed(feats[:-1]), reversed(list(self.lateral)[:-1])):
            y = F.interpolate(y, size=f.shape[-2:], mode="nearest") + lat(f)
        return F.interpolate(self.head(y), size=x.shape[-2:], mode="bilinear", align_corners=False)


class SegTrainer:
    def __init__(self, model, lr=1e-3, device="cuda", ignore_index=255):
        self.device = device
        self.model = model.to(device)
        for p in self.model.encoder.parameters():
            p.requires_grad = False
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
        self.ignore_index = ignore_index

    def train_one_epoch(self, loader):
        self.model.train()
        running = 0.0
        for images, masks in loader:
            images, masks = images.to(self.device), masks.to(self.device)
            loss = F.cross_entropy(self.model(images), masks, ignore_index=self.ignore_index)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            running += loss.item()
        return running / len(loader)

    @torch.no_grad()
    def evaluate(self, loader, n_classes):
        self.model.eval()
        inter = torch.zeros(n_classes, device=self.device)
        union = torch.zeros(n_classes, device=self.device)
        for images, masks in loader:
            pred = self.model(images.to(self.device)).argmax(1)
            masks = masks.to(self.device)
            valid = masks != self.ignore_index
            for c in range(n_classes):
                p, t = (pred == c) & valid, (masks == c) & valid
                inter[c] += (p & t).sum()
                union[c] += (p | t).sum()
        return (inter / union.clamp(min=1)).mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="road_train.pt")
    ap.add_argument("--val", default="road_val.pt")
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=40)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(torch.load(args.train), batch_size=16, shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(torch.load(args.val), batch_size=16, num_workers=6)

    trainer = SegTrainer(FPNSeg(args.classes), device=device)
    for epoch in range(args.epochs):
        loss = trainer.train_one_epoch(train_loader)
        miou = trainer.evaluate(val_loader, args.classes)
        print(f"epoch {epoch}: loss {loss:.4f} mIoU {miou:.4f}")
    torch.save(trainer.model.state_dict(), "fpn_seg.pt")


if __name__ == "__main__":
    main()
