"""Plant-disease classifier: `train` runs Lightning, `predict` labels a folder of photos."""
import argparse
import json
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader
from torchmetrics.classification import MulticlassAccuracy
from torchvision import transforms

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
EVAL_TF = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                              transforms.Normalize(MEAN, STD)])


class LitPlantNet(L.LightningModule):
    def __init__(self, num_classes=38, lr=3e-4):
        super().__init__()
        self.save_hyperparameters()
        self.net = torchvision.models.resnet34(weights="IMAGENET1K_V1")
        self.net.fc = torch.nn.Linear(self.net.fc.in_features, num_classes)
        self.val_acc = MulticlassAccuracy(num_classes=num_classes)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y, label_smoothing=0.1)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits, y)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", self.val_acc, prog_bar=True)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.05)


def train(args):
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    train_ds = torchvision.datasets.ImageFolder(Path(args.data) / "train", train_tf)
    val_ds = torchvision.datasets.ImageFolder(Path(args.data) / "val", EVAL_TF)
    Path(args.ckpt_dir).mkdir(parents=True, exist_ok=True)
    (Path(args.ckpt_dir) / "classes.json").write_text(json.dumps(train_ds.classes))
    model = LitPlantNet(num_classes=len(train_ds.classes))
    trainer = L.Trainer(max_epochs=args.epochs, precision="16-mixed", default_root_dir=args.ckpt_dir,
                        callbacks=[L.pytorch.callbacks.ModelCheckpoint(monitor="val/acc", mode="max")])
    trainer.fit(model, DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=8),
                DataLoader(val_ds, batch_size=128, num_workers=8))


def predict(args):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    classes = json.loads((Path(args.ckpt_dir) / "classes.json").read_text())
    model = LitPlantNet.load_from_checkpoint(args.ckpt, map_location=device)
    results = {}
    with torch.inference_mode():
        for path in sorted(Path(args.images).glob("*.jpg")):
            x = EVAL_TF(Image.open(path).convert("RGB")).unsqueeze(0).to(device)
            probs = model(x).softmax(-1)[0]
            conf, idx = probs.max(0)
            results[path.name] = {"label": classes[idx.item()], "confidence": round(conf.item(), 4)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--epochs", type=int, default=15)
    t.add_argument("--ckpt-dir", default="runs/plant")
    p = sub.add_parser("predict")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--ckpt-dir", default="runs/plant")
    p.add_argument("--images", required=True)
    args = ap.parse_args()
    train(args) if args.cmd == "train" else predict(args)
