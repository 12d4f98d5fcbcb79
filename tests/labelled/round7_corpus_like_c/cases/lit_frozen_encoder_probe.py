"""Lightning linear probe: frozen ImageNet ResNet-18 encoder, trainable linear head."""
import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.models import ResNet18_Weights, resnet18


class LinearProbe(L.LightningModule):
    def __init__(self, n_classes=10, lr=0.1):
        super().__init__()
        self.save_hyperparameters()
        encoder = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
        encoder.fc = nn.Identity()
        self.encoder = encoder
        self.encoder.requires_grad_(False)
        self.head = nn.Linear(512, n_classes)

    def on_train_epoch_start(self):
        # frozen encoder: keep its BatchNorm running statistics fixed during fit
        self.encoder.eval()

    def forward(self, x):
        return self.head(self.encoder(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(-1)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.head.parameters(), lr=self.hparams.lr, momentum=0.9)
        return [opt], [torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)]


def main():
    tf = ResNet18_Weights.IMAGENET1K_V1.transforms()
    train = DataLoader(datasets.STL10("data", split="train", download=True, transform=tf), batch_size=128,
                       shuffle=True, num_workers=4)
    test = DataLoader(datasets.STL10("data", split="test", download=True, transform=tf), batch_size=256,
                      num_workers=4)
    model = LinearProbe()
    trainer = L.Trainer(max_epochs=20, accelerator="auto")
    trainer.fit(model, train, test)
    probs = torch.cat(trainer.predict(model, test))
    print("predicted class histogram:", probs.argmax(1).bincount(minlength=10).tolist())


if __name__ == "__main__":
    main()
