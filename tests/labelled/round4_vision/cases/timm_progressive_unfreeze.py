"""Progressive unfreezing of a timm ResNet-50d on a medical-imaging dataset.

Frozen stages keep their ImageNet BatchNorm statistics: after every model.train() the BN layers
whose affine parameters are still frozen are switched back to eval mode.
"""
import argparse

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.data import create_transform, resolve_data_config
from torchvision import datasets

SCHEDULE = {0: ["fc"], 4: ["layer4"], 8: ["layer3"], 12: ["layer2"]}


def freeze_bn_stats(m):
    if isinstance(m, nn.modules.batchnorm._BatchNorm) and not m.weight.requires_grad:
        m.eval()


def unfreeze(model, names):
    params = []
    for name in names:
        block = model.get_submodule(name)
        block.requires_grad_(True)
        params += list(block.parameters())
    return params


def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    with torch.inference_mode():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(-1).cpu() == y).sum().item()
            n += y.numel()
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/derm7")
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = timm.create_model("resnet50d", pretrained=True, num_classes=7)
    cfg = resolve_data_config({}, model=model)
    train_ds = datasets.ImageFolder(f"{args.root}/train", create_transform(**cfg, is_training=True))
    val_ds = datasets.ImageFolder(f"{args.root}/val", create_transform(**cfg))
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=48, shuffle=True, num_workers=8, drop_last=True)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=96, num_workers=8)

    model.requires_grad_(False)
    model.to(device)
    optimizer = None
    for epoch in range(args.epochs):
        if epoch in SCHEDULE:
            new_params = unfreeze(model, SCHEDULE[epoch])
            lr = 1e-3 / (1 + len([e for e in SCHEDULE if e < epoch]))
            if optimizer is None:
                optimizer = torch.optim.AdamW(new_params, lr=lr, weight_decay=0.01)
            else:
                optimizer.add_param_group({"params": new_params, "lr": lr})
        model.train()
        model.apply(freeze_bn_stats)
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {evaluate(model, val_loader, device):.4f}")
    torch.save(model.state_dict(), "resnet50d_derm7.pt")


if __name__ == "__main__":
    main()
