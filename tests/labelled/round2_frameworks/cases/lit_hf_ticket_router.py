"""Route support tickets to queues: a DistilBERT classifier fine-tuned with Lightning."""
import argparse

import lightning as L
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset
from torchmetrics.classification import MulticlassF1Score
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup


class TicketDataset(Dataset):
    def __init__(self, frame, tokenizer, label2id, max_len=256):
        self.enc = tokenizer(frame["text"].tolist(), truncation=True, max_length=max_len, padding="max_length")
        self.labels = [label2id[q] for q in frame["queue"]]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        item = {k: torch.tensor(v[i]) for k, v in self.enc.items()}
        item["labels"] = torch.tensor(self.labels[i])
        return item


class TicketRouter(L.LightningModule):
    def __init__(self, model_name, num_labels, lr=3e-5, warmup=0.06):
        super().__init__()
        self.save_hyperparameters()
        self.model = AutoModelForSequenceClassification.from_pretrained(model_name, num_labels=num_labels)
        self.val_f1 = MulticlassF1Score(num_classes=num_labels, average="macro")

    def training_step(self, batch, batch_idx):
        out = self.model(**batch)
        self.log("train_loss", out.loss, prog_bar=True)
        return out.loss

    def validation_step(self, batch, batch_idx):
        out = self.model(**batch)
        self.val_f1(out.logits.argmax(-1), batch["labels"])
        self.log("val_loss", out.loss, prog_bar=True)
        self.log("val_f1", self.val_f1, prog_bar=True)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.01)
        total = self.trainer.estimated_stepping_batches
        sched = get_linear_schedule_with_warmup(opt, int(self.hparams.warmup * total), total)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--model", default="distilbert-base-uncased")
    ap.add_argument("--epochs", type=int, default=4)
    args = ap.parse_args()

    df = pd.read_csv(args.csv)
    queues = sorted(df["queue"].unique())
    label2id = {q: i for i, q in enumerate(queues)}
    val_df = df.sample(frac=0.1, random_state=0)
    train_df = df.drop(val_df.index)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    train_dl = DataLoader(TicketDataset(train_df, tokenizer, label2id), batch_size=32, shuffle=True, num_workers=4)
    val_dl = DataLoader(TicketDataset(val_df, tokenizer, label2id), batch_size=64, num_workers=4)

    router = TicketRouter(args.model, num_labels=len(queues))
    trainer = L.Trainer(max_epochs=args.epochs, precision="bf16-mixed", gradient_clip_val=1.0,
                        callbacks=[L.pytorch.callbacks.EarlyStopping("val_f1", mode="max", patience=2)])
    trainer.fit(router, train_dl, val_dl)
    router.model.save_pretrained("ticket-router")
    tokenizer.save_pretrained("ticket-router")


if __name__ == "__main__":
    main()
