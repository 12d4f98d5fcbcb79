"""Train only a new classifier head on top of an ImageNet EfficientNet-B0 with DDP.

torchrun --nproc_per_node=4 ddp_effnet_linear_head.py --data /datasets/flowers102
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets
from torchvision.models import EfficientNet_B0_Weights, efficientnet_b0


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    stats = torch.zeros(2, device=device)
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        stats[0] += (model(images).argmax(1) == labels).sum()
        stats[1] += labels.numel()
    dist.all_reduce(stats)
    return (stats[0] / stats[1]).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    weights = EfficientNet_B0_Weights.IMAGENET1K_V1
    model = efficientnet_b0(weights=weights)
    for p in model.features.parameters():
        p.requires_grad = False
    model.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(1280, 102))
    model = model.to(device)
    ddp_model = DDP(model, device_ids=[local_rank])

    tf = weights.transforms()
    train_ds = datasets.Flowers102(args.data, split="train", transform=tf)
    val_ds = datasets.Flowers102(args.data, split="val", transform=tf)
    train_sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=32, sampler=train_sampler, num_workers=4, pin_memory=True)
    val_loader = DataLoader(val_ds, batch_size=64, sampler=DistributedSampler(val_ds, shuffle=False),
                            num_workers=4)
    optimizer = torch.optim.AdamW(model.classifier.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        ddp_model.train()
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            loss = F.cross_entropy(ddp_model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        acc = validate(ddp_model, val_loader, device)
        if dist.get_rank() == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f} val acc {acc:.4f}")
            torch.save(model.state_dict(), "effnet_b0_flowers.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
