"""Flowers-102 fine-tuning organised as Trainer / Evaluator classes (DenseNet-121)."""
import argparse

import torch
import torch.nn as nn
from torchvision import datasets, transforms
from torchvision.models import DenseNet121_Weights, densenet121


class Evaluator:
    def __init__(self, model, loader, device):
        self.model, self.loader, self.device = model, loader, device

    @torch.inference_mode()
    def run(self):
        self.model.eval()
        correct = total = 0
        for images, labels in self.loader:
            preds = self.model(images.to(self.device)).argmax(1)
            correct += (preds.cpu() == labels).sum().item()
            total += labels.numel()
        return correct / total


class Trainer:
    def __init__(self, model, train_loader, evaluator, lr, device):
        self.model, self.train_loader, self.evaluator, self.device = model, train_loader, evaluator, device
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(self.optimizer, milestones=[10, 20], gamma=0.1)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    def train_epoch(self):
        self.model.train()
        for images, labels in self.train_loader:
            logits = self.model(images.to(self.device))
            loss = self.criterion(logits, labels.to(self.device))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()
        return loss.item()

    def train(self, epochs):
        best = 0.0
        for epoch in range(epochs):
            loss = self.train_epoch()
            acc = self.evaluator.run()
            print(f"epoch {epoch}: loss {loss:.4f} val acc {acc:.4f}")
            if acc > best:
                best = acc
                torch.save(self.model.state_dict(), "densenet_flowers.pt")
        return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    weights = DenseNet121_Weights.IMAGENET1K_V1
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(weights.transforms().mean,
                                                                               weights.transforms().std)])
    train_ds = datasets.Flowers102(args.root, split="train", transform=train_tf, download=True)
    val_ds = datasets.Flowers102(args.root, split="val", transform=weights.transforms(), download=True)
    model = densenet121(weights=weights)
    model.classifier = nn.Linear(model.classifier.in_features, 102)
    model.to(device)
    evaluator = Evaluator(model, torch.utils.data.DataLoader(val_ds, batch_size=128), device)
    trainer = Trainer(model, torch.utils.data.DataLoader(train_ds, batch_size=32, shuffle=True), evaluator,
                      lr=0.01, device=device)
    print("best val acc", trainer.train(args.epochs))


if __name__ == "__main__":
    main()
