"""Multi-GPU fine-tuning of a timm ResNet-26d on Food-101 with Hugging Face accelerate.

Launch with `accelerate launch accelerate_timm_food101.py --data /datasets/food-101`.
"""
import argparse

import timm
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from timm.data import create_transform, resolve_data_config
from torch.utils.data import DataLoader
from torchvision import datasets


def evaluate(model, loader, accelerator):
    model.eval()
    correct = total = 0
    for images, labels in loader:
        logits = model(images)
        preds, refs = accelerator.gather_for_metrics((logits.argmax(dim=-1), labels))
        correct += (preds == refs).sum().item()
        total += refs.numel()
    return correct / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()

    accelerator = Accelerator(mixed_precision="bf16", gradient_accumulation_steps=2, log_with="tensorboard",
                              project_dir="runs/food101")
    set_seed(42)
    model = timm.create_model("resnet26d", pretrained=True, num_classes=101)
    cfg = resolve_data_config({}, model=model)
    train_tf = create_transform(**cfg, is_training=True, auto_augment="rand-m9-mstd0.5")
    eval_tf = create_transform(**cfg)
    train_ds = datasets.Food101(args.data, split="train", transform=train_tf)
    val_ds = datasets.Food101(args.data, split="test", transform=eval_tf)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=2 * args.batch_size, num_workers=8)

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader) // 2)
    model, optimizer, train_loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, scheduler)
    accelerator.init_trackers("food101")

    for epoch in range(args.epochs):
        model.train()
        for step, (images, labels) in enumerate(train_loader):
            with accelerator.accumulate(model):
                loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            if step % 100 == 0:
                accelerator.log({"train/loss": loss.item()}, step=epoch * len(train_loader) + step)
        acc = evaluate(model, val_loader, accelerator)
        accelerator.print(f"epoch {epoch}: top-1 {acc:.4f}")
        accelerator.log({"val/acc": acc}, step=(epoch + 1) * len(train_loader))

    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        torch.save(accelerator.unwrap_model(model).state_dict(), "resnet26d_food101.pth")
    accelerator.end_training()


if __name__ == "__main__":
    main()
