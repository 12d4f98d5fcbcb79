"""BiLSTM-CRF POS tagger as a LightningModule (pytorch-crf for the CRF layer). Validation,
test and prediction steps decode with Viterbi; the Trainer handles eval mode and no_grad."""
import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchcrf import CRF


class LitTagger(L.LightningModule):
    def __init__(self, vocab_size, num_tags, emb_dim=128, hidden=256, dropout=0.33, word_dropout=0.05, lr=2e-3):
        super().__init__()
        self.save_hyperparameters()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.lstm = nn.LSTM(emb_dim, hidden, num_layers=2, dropout=dropout, bidirectional=True, batch_first=True)
        self.emissions = nn.Linear(2 * hidden, num_tags)
        self.crf = CRF(num_tags, batch_first=True)

    def features(self, tokens):
        if self.training and self.hparams.word_dropout > 0:
            drop = torch.rand_like(tokens, dtype=torch.float) < self.hparams.word_dropout
            tokens = tokens.masked_fill(drop & (tokens != 0), 1)
        x = F.dropout(self.embedding(tokens), self.hparams.dropout, training=self.training)
        out, _ = self.lstm(x)
        return self.emissions(F.dropout(out, self.hparams.dropout, training=self.training))

    def forward(self, tokens):
        return self.crf.decode(self.features(tokens), mask=tokens != 0)

    def training_step(self, batch, batch_idx):
        tokens, tags = batch
        loss = -self.crf(self.features(tokens), tags, mask=tokens != 0, reduction="mean")
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def _accuracy(self, batch):
        tokens, tags = batch
        paths = self(tokens)
        correct = sum(sum(int(p == g) for p, g in zip(path, gold)) for path, gold in zip(paths, tags.tolist()))
        return correct / max(1, int((tokens != 0).sum()))

    def validation_step(self, batch, batch_idx):
        self.log("val_acc", self._accuracy(batch), prog_bar=True)

    def test_step(self, batch, batch_idx):
        self.log("test_acc", self._accuracy(batch))

    def predict_step(self, batch, batch_idx):
        tokens, _ = batch
        return self(tokens)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def main(dm, vocab_size, num_tags):
    model = LitTagger(vocab_size, num_tags)
    trainer = L.Trainer(max_epochs=30, accelerator="auto", gradient_clip_val=5.0,
                        callbacks=[L.pytorch.callbacks.EarlyStopping("val_acc", mode="max", patience=4)])
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, ckpt_path="best")
    predictions = trainer.predict(model, datamodule=dm, ckpt_path="best")

    tagger = LitTagger.load_from_checkpoint(trainer.checkpoint_callback.best_model_path)
    tagger.eval()
    with torch.no_grad():
        demo = tagger(torch.tensor([[15, 872, 9, 4410, 3]]))
    return predictions, demo
