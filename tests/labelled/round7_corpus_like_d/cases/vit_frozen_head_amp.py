"""Train an MLP head on a frozen timm ViT-S/16 (LayerNorm only, no BatchNorm) with bf16 autocast."""
import argparse

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets


class FrozenViTClassifier(nn.Module):
    def __init__(self, num_classes, arch="vit_small_patch16_224.augreg_in21k"):
        super().__init__()
        self.backbone = timm.create_model(arch, pretrained=True, num_classes=0)
        self.backbone.requires_grad_(False)
        self.head = nn.Sequential(nn.LayerNorm(self.backbone.num_features),
                                  nn.Linear(self.backbone.num_features, 512), nn.GELU(), nn.Dropout(0.2),
                                  nn.Linear(512, num_classes))

    def forward(self, x):
        return self.head(self.backbone(x))


def run_epoch(model, loader, optimizer, device):
    model.train()
    for x, y in loader:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return loss.item()


def validate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        for x, y in loader:
            correct += (model(x.to(device)).argmax(-1).cpu() == y).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/food101")
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    device = torch.device("cuda")
    model = FrozenViTClassifier(num_classes=101).to(device)
    cfg = timm.data.resolve_data_config({}, model=model.backbone)
    train_ds = datasets.Food101(args.data, split="train", download=True,
                                transform=timm.data.create_transform(**cfg, is_training=True))
    test_ds = datasets.Food101(args.data, split="test", transform=timm.data.create_transform(**cfg))
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=256, shuffle=True, num_workers=8)
    test_loader = torch.utils.data.DataLoader(test_ds, batch_size=512, num_workers=8)
    optimizer = torch.optim.AdamW(model.head.parameters(), lr=1e-3, weight_decay=0.05)
    for epoch in range(args.epochs):
        loss = run_epoch(model, train_loader, optimizer, device)
        print(f"epoch {epoch}: loss {loss:.4f} test acc {validate(model, test_loader, device):.4f}")
    torch.save(model.head.state_dict(), "vit_s16_food101_head.pt")


if __name__ == "__main__":
    main()
