"""Speech-command classifier; runs single-process or under torchrun. The main process
evaluates the unwrapped network and writes the checkpoint."""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


class M5(nn.Module):
    def __init__(self, n_classes=35, ch=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, ch, 80, stride=16), nn.BatchNorm1d(ch), nn.ReLU(), nn.MaxPool1d(4),
            nn.Conv1d(ch, ch, 3), nn.BatchNorm1d(ch), nn.ReLU(), nn.MaxPool1d(4),
            nn.Conv1d(ch, 2 * ch, 3), nn.BatchNorm1d(2 * ch), nn.ReLU(), nn.MaxPool1d(4),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(2 * ch, n_classes),
        )

    def forward(self, wav):
        return self.net(wav)


def unwrap(model):
    return getattr(model, "module", model)


def is_main():
    return not dist.is_initialized() or dist.get_rank() == 0


def main():
    distributed = "LOCAL_RANK" in os.environ
    if distributed:
        dist.init_process_group("nccl")
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    data = torch.load("speech_commands_16k.pt")
    sampler = DistributedSampler(data["train"]) if distributed else None
    train_loader = DataLoader(data["train"], batch_size=128, sampler=sampler, shuffle=sampler is None)
    val_loader = DataLoader(data["val"], batch_size=256)

    model = M5().to(device)
    if distributed:
        model = DDP(model, device_ids=[torch.cuda.current_device()])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.1)

    for epoch in range(60):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        for wav, target in train_loader:
            loss = F.nll_loss(F.log_softmax(model(wav.to(device)), -1), target.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        if is_main():
            net = unwrap(model)
            net.eval()
            correct = 0
            with torch.no_grad():
                for wav, target in val_loader:
                    correct += (net(wav.to(device)).argmax(-1).cpu() == target).sum().item()
            print(f"epoch {epoch}: loss {loss.item():.4f} val acc {correct / len(val_loader.dataset):.4f}")
            torch.save(net.state_dict(), "m5_speech_commands.pt")
        if distributed:
            dist.barrier()
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
