"""torchrun --nproc_per_node=4 ddp_rank0_eval_module.py --data /datasets/food101

Fine-tunes an EfficientNet-B0 with DDP. Only rank 0 evaluates, on the unwrapped module, so
the other ranks do not have to shard the validation set."""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets
from torchvision.models import EfficientNet_B0_Weights, efficientnet_b0


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for images, labels in loader:
        logits = model(images.to(device, non_blocking=True))
        correct += (logits.argmax(1).cpu() == labels).sum().item()
        total += labels.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=3e-4)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    weights = EfficientNet_B0_Weights.IMAGENET1K_V1
    model = efficientnet_b0(weights=weights)
    model.classifier[1] = nn.Linear(model.classifier[1].in_features, 101)
    ddp = DDP(model.to(device), device_ids=[local_rank])

    train_set = datasets.ImageFolder(os.path.join(args.data, "train"), weights.transforms())
    val_set = datasets.ImageFolder(os.path.join(args.data, "val"), weights.transforms())
    sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=64, sampler=sampler, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=8)

    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=0.05)

    ddp.train()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            loss = criterion(ddp(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if rank == 0:
            acc = evaluate(ddp.module, val_loader, device)
            print(f"epoch {epoch}: loss {loss.item():.4f} top1 {acc:.4f}")
            torch.save(ddp.module.state_dict(), "effb0_food101.pt")
        dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
