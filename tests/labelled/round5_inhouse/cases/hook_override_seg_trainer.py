"""House BaseTrainer with mode hooks; SegTrainer adds a confusion matrix for mIoU."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class LiteSeg(nn.Module):
    def __init__(self, n_classes, width=32):
        super().__init__()
        self.down = nn.Sequential(block(3, width), nn.MaxPool2d(2), block(width, 2 * width), nn.MaxPool2d(2))
        self.mid = nn.Sequential(block(2 * width, 2 * width), nn.Dropout2d(0.1))
        self.head = nn.Conv2d(2 * width, n_classes, 1)

    def forward(self, x):
        logits = self.head(self.mid(self.down(x)))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


class BaseTrainer:
    def __init__(self, model, optimizer, train_loader, val_loader, device="cpu"):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device

    # mode hooks: subclasses may extend them
    def on_train_epoch_start(self):
        self.model.train()

    def on_validation_start(self):
        self.model.eval()

    def training_loss(self, images, targets):
        return F.cross_entropy(self.model(images), targets)

    def update_metrics(self, logits, targets):
        pass

    def compute_metrics(self):
        return {}

    def validate(self):
        self.on_validation_start()
        with torch.no_grad():
            for images, targets in self.val_loader:
                logits = self.model(images.to(self.device))
                self.update_metrics(logits, targets.to(self.device))
        return self.compute_metrics()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.on_train_epoch_start()
            for images, targets in self.train_loader:
                loss = self.training_loss(images.to(self.device), targets.to(self.device))
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch}: loss {loss.item():.4f} {self.validate()}")


class SegTrainer(BaseTrainer):
    def __init__(self, *args, n_classes, ignore_index=255, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_classes = n_classes
        self.ignore_index = ignore_index
        self.confmat = torch.zeros(n_classes, n_classes, dtype=torch.long, device=self.device)

    def on_validation_start(self):
        # start every validation pass with an empty confusion matrix
        self.confmat.zero_()

    def update_metrics(self, logits, targets):
        keep = targets != self.ignore_index
        idx = targets[keep] * self.n_classes + logits.argmax(1)[keep]
        self.confmat += torch.bincount(idx, minlength=self.n_classes ** 2).view(self.n_classes, self.n_classes)

    def compute_metrics(self):
        inter = self.confmat.diag().float()
        union = self.confmat.sum(0) + self.confmat.sum(1) - self.confmat.diag()
        return {"mIoU": (inter / union.clamp(min=1)).mean().item()}


if __name__ == "__main__":
    model = LiteSeg(n_classes=19)
    trainer = SegTrainer(
        model,
        torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4),
        DataLoader(torch.load("city_train.pt"), batch_size=8, shuffle=True, drop_last=True),
        DataLoader(torch.load("city_val.pt"), batch_size=8),
        n_classes=19,
        device="cuda" if torch.cuda.is_available() else "cpu",
    )
    trainer.fit(epochs=80)
