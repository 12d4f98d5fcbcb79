"""In-house fine-tuning loop for a Hugging Face seq2seq model (no HF Trainer), with sample generation."""
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, get_linear_schedule_with_warmup


@dataclass
class FTConfig:
    model_name: str = "google/flan-t5-small"
    epochs: int = 3
    lr: float = 3e-4
    batch_size: int = 16
    warmup: int = 200
    out_dir: str = "flan-t5-summ"


class Seq2SeqFineTuner:
    def __init__(self, cfg: FTConfig, device="cpu"):
        self.cfg = cfg
        self.device = device
        self.tok = AutoTokenizer.from_pretrained(cfg.model_name)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(cfg.model_name).to(device)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr)

    def collate(self, rows):
        enc = self.tok([r["document"] for r in rows], truncation=True, max_length=512, padding=True, return_tensors="pt")
        labels = self.tok([r["summary"] for r in rows], truncation=True, max_length=64, padding=True,
                          return_tensors="pt").input_ids
        labels[labels == self.tok.pad_token_id] = -100
        enc["labels"] = labels
        return enc

    def train_epoch(self, loader, sched):
        self.model.train()
        for batch in loader:
            out = self.model(**{k: v.to(self.device) for k, v in batch.items()})
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.opt.step()
            sched.step()
            self.opt.zero_grad()
        return out.loss.item()

    @torch.no_grad()
    def validate(self, loader):
        self.model.eval()
        losses = [self.model(**{k: v.to(self.device) for k, v in b.items()}).loss.item() for b in loader]
        return sum(losses) / max(len(losses), 1)

    def generate_samples(self, documents):
        self.model.eval()
        enc = self.tok(documents, truncation=True, max_length=512, padding=True, return_tensors="pt").to(self.device)
        ids = self.model.generate(**enc, max_new_tokens=64, num_beams=4)
        return self.tok.batch_decode(ids, skip_special_tokens=True)

    def fit(self, train_rows, val_rows):
        train_loader = DataLoader(train_rows, batch_size=self.cfg.batch_size, shuffle=True, collate_fn=self.collate)
        val_loader = DataLoader(val_rows, batch_size=2 * self.cfg.batch_size, collate_fn=self.collate)
        sched = get_linear_schedule_with_warmup(self.opt, self.cfg.warmup, self.cfg.epochs * len(train_loader))
        preview = [r["document"] for r in val_rows[:3]]
        for epoch in range(self.cfg.epochs):
            train_loss = self.train_epoch(train_loader, sched)
            val_loss = self.validate(val_loader)
            print(f"epoch {epoch}: train {train_loss:.3f} val {val_loss:.3f}")
            for summary in self.generate_samples(preview):
                print("  >", summary)
        self.model.save_pretrained(self.cfg.out_dir)
        self.tok.save_pretrained(self.cfg.out_dir)


if __name__ == "__main__":
    import json

    with open("xsum_small.json") as fh:
        data = json.load(fh)
    tuner = Seq2SeqFineTuner(FTConfig(), device="cuda" if torch.cuda.is_available() else "cpu")
    tuner.fit(data["train"], data["validation"])
