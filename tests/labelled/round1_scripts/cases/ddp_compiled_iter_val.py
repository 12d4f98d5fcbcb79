"""Iteration-based training (torchrun) of a ResNet-50 with torch.compile + DDP + bf16 autocast.
Validation runs every --val-every optimizer steps on the uncompiled module to avoid recompiles."""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torchvision
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


def build_model(num_classes):
    model = torchvision.models.resnet50(num_classes=num_classes)
    nn.init.zeros_(model.fc.weight)
    return model


def build_loaders(root, batch_size):
    t = torchvision.transforms
    norm = t.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_set = torchvision.datasets.ImageFolder(
        os.path.join(root, "train"), t.Compose([t.RandomResizedCrop(176), t.RandomHorizontalFlip(), t.ToTensor(), norm]))
    val_set = torchvision.datasets.ImageFolder(
        os.path.join(root, "val"), t.Compose([t.Resize(232), t.CenterCrop(224), t.ToTensor(), norm]))
    sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size, sampler=sampler, num_workers=10, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size, sampler=DistributedSampler(val_set, shuffle=False), num_workers=10)
    return train_loader, val_loader, sampler


def forever(loader, sampler):
    epoch = 0
    while True:
        sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


@torch.inference_mode()
def evaluate(model, loader, device):
    model.eval()
    correct = torch.zeros((), device=device)
    seen = torch.zeros((), device=device)
    for images, targets in loader:
        logits = model(images.to(device, non_blocking=True))
        correct += (logits.argmax(1) == targets.to(device)).sum()
        seen += targets.numel()
    dist.all_reduce(correct)
    dist.all_reduce(seen)
    return (correct / seen).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--val-every", type=int, default=5_000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.5)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(rank)
    device = torch.device("cuda", rank)

    model = build_model(num_classes=1000).to(device)
    compiled = torch.compile(model)
    ddp = DistributedDataParallel(compiled, device_ids=[rank])
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-5)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.steps)
    train_loader, val_loader, sampler = build_loaders(args.data, args.batch_size)
    batches = forever(train_loader, sampler)

    ddp.train()
    step = 0
    while step < args.steps:
        images, targets = next(batches)
        images, targets = images.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = criterion(ddp(images), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        step += 1
        if step % args.val_every == 0:
            top1 = evaluate(model, val_loader, device)
            if dist.get_rank() == 0:
                print(f"step {step}: loss {loss.item():.4f} top1 {top1:.4f}")
                torch.save(model.state_dict(), f"resnet50_step{step}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
