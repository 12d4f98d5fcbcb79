"""LoRA fine-tuning of DistilBERT for review polarity, with a quick validation every N steps."""
import torch
from datasets import load_dataset
from peft import LoraConfig, get_peft_model
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding

MODEL = "distilbert-base-uncased"
EPOCHS, EVAL_EVERY = 2, 250


def evaluate(model, loader, device, max_batches=None):
    was_training = model.training
    model.eval()
    correct = total = 0
    with torch.inference_mode():
        for i, batch in enumerate(loader):
            if max_batches is not None and i >= max_batches:
                break
            labels = batch.pop("labels").to(device)
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits
            correct += (logits.argmax(-1) == labels).sum().item()
            total += labels.numel()
    model.train(was_training)
    return correct / max(total, 1)


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tok = AutoTokenizer.from_pretrained(MODEL)
    ds = load_dataset("imdb").map(lambda b: tok(b["text"], truncation=True, max_length=256), batched=True)
    ds = ds.rename_column("label", "labels").remove_columns(["text"])
    collate = DataCollatorWithPadding(tok)
    train_loader = DataLoader(ds["train"], batch_size=16, shuffle=True, collate_fn=collate)
    val_loader = DataLoader(ds["test"].shuffle(seed=0).select(range(2000)), batch_size=64, collate_fn=collate)

    base = AutoModelForSequenceClassification.from_pretrained(MODEL, num_labels=2)
    cfg = LoraConfig(task_type="SEQ_CLS", r=8, lora_alpha=16, lora_dropout=0.1, inference_mode=False)
    model = get_peft_model(base, cfg).to(device)
    optimizer = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=2e-4)

    model.train()
    for epoch in range(EPOCHS):
        for step, batch in enumerate(train_loader):
            loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if step % EVAL_EVERY == 0:
                acc = evaluate(model, val_loader, device, max_batches=20)
                print(f"epoch {epoch} step {step}: loss {loss.item():.4f} quick val acc {acc:.4f}")
    print("full val acc", evaluate(model, val_loader, device))
    model.save_pretrained("distilbert-imdb-lora")


if __name__ == "__main__":
    main()
