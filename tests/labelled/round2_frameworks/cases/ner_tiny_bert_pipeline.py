"""Train a tiny BERT (4 layers, from a config, no pretrained weights) for CoNLL-2003 NER on
CPU-friendly budgets, then run the token-classification pipeline on a few sentences."""
import argparse

import torch
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import (AutoTokenizer, BertConfig, BertForTokenClassification,
                          DataCollatorForTokenClassification, pipeline)

SAMPLES = [
    "Angela Merkel met Emmanuel Macron in Paris on Tuesday.",
    "Shares of Volkswagen fell 3 percent in Frankfurt after the report.",
    "The United Nations said aid convoys had reached Aleppo.",
]


def tokenize_and_align(batch, tokenizer):
    enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=128)
    all_labels = []
    for i, tags in enumerate(batch["ner_tags"]):
        prev, labels = None, []
        for wid in enc.word_ids(batch_index=i):
            labels.append(-100 if wid is None or wid == prev else tags[wid])
            prev = wid
        all_labels.append(labels)
    enc["labels"] = all_labels
    return enc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default="tiny-bert-ner")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    raw = load_dataset("conll2003")
    names = raw["train"].features["ner_tags"].feature.names
    tokenizer = AutoTokenizer.from_pretrained("bert-base-cased")
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=256, num_hidden_layers=4,
                        num_attention_heads=4, intermediate_size=1024, hidden_dropout_prob=0.1,
                        num_labels=len(names), id2label=dict(enumerate(names)),
                        label2id={n: i for i, n in enumerate(names)})
    model = BertForTokenClassification(config).to(device)

    train = raw["train"].map(lambda b: tokenize_and_align(b, tokenizer), batched=True,
                             remove_columns=raw["train"].column_names)
    loader = DataLoader(train, batch_size=32, shuffle=True,
                        collate_fn=DataCollatorForTokenClassification(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)

    for epoch in range(args.epochs):
        running = 0.0
        for step, batch in enumerate(loader):
            batch = {k: v.to(device) for k, v in batch.items()}
            loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            running += loss.item()
        print(f"epoch {epoch}: mean loss {running / (step + 1):.4f}")

    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    ner = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple")
    for sentence, entities in zip(SAMPLES, ner(SAMPLES)):
        print(sentence)
        for ent in entities:
            print(f"    {ent['entity_group']:<5} {ent['word']!r} {ent['score']:.2f}")


if __name__ == "__main__":
    main()
