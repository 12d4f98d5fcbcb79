"""EuroSAT land-cover classification: EfficientNet-B3 with the first five feature stages frozen.

Frozen stages keep their BatchNorm statistics: after every model.train() the BatchNorm layers
inside them are switched back to eval mode.
"""
import torch
import torch.nn as nn
from torchvision import datasets
from torchvision.models import EfficientNet_B3_Weights, efficientnet_b3

FROZEN = tuple(f"features.{i}." for i in range(5))


class LandCoverTrainer:
    def __init__(self, n_classes=10, lr=3e-4, device="cuda"):
        self.device = device
        self.model = efficientnet_b3(weights=EfficientNet_B3_Weights.IMAGENET1K_V1)
        self.model.classifier[1] = nn.Linear(self.model.classifier[1].in_features, n_classes)
        for name, p in self.model.named_parameters():
            if name.startswith(FROZEN):
                p.requires_grad = False
        self.model.to(device)
        self.optimizer = torch.optim.AdamW((p for p in self.model.parameters() if p.requires_grad), lr=lr)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    def _set_train_mode(self):
        self.model.train()
        for name, m in self.model.named_modules():
            if (name + ".").startswith(FROZEN) and isinstance(m, nn.BatchNorm2d):
                m.eval()

    def train_epoch(self, loader):
        self._set_train_mode()
        for images, labels in loader:
            images, labels = images.to(self.device), labels.to(self.device)
            loss = self.criterion(self.model(images), labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return loss.item()

    @torch.inference_mode()
    def evaluate(self, loader):
        self.model.eval()
        correct = n = 0
        for images, labels in loader:
            correct += (self.model(images.to(self.device)).argmax(1).cpu() == labels).sum().item()
            n += labels.numel()
        return correct / n


if __name__ == "__main__":
    tf = EfficientNet_B3_Weights.IMAGENET1K_V1.transforms()
    full = datasets.EuroSAT("data", transform=tf, download=True)
    train_set, val_set = torch.utils.data.random_split(full, [21600, 5400], torch.Generator().manual_seed(0))
    trainer = LandCoverTrainer(device="cuda" if torch.cuda.is_available() else "cpu")
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True, num_workers=8)
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=128, num_workers=8)
    for epoch in range(20):
        loss = trainer.train_epoch(train_loader)
        print(f"epoch {epoch}: loss {loss:.4f} val acc {trainer.evaluate(val_loader):.4f}")
