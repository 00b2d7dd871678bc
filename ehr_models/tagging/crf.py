"""A linear-chain CRF over tag emissions: negative log-likelihood, Viterbi decoding and token marginals.

Transitions the tag scheme forbids (``I-X`` after ``O``, ``B-X`` ending a BIOES sentence) get a large fixed penalty
in training and decoding alike, so decoded sequences always read as whole spans. Masks are left-aligned: each
sentence's tokens come first, padding after.
"""

from __future__ import annotations

import torch
from torch import nn

FORBIDDEN = -10000.0


class CRF(nn.Module):
    def __init__(self, num_tags: int, allowed: list[list[bool]] | None = None,
                 start_allowed: list[bool] | None = None, end_allowed: list[bool] | None = None) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))  # [from, to]
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))

        def penalty(allowed_mask: list | None, shape: tuple[int, ...]) -> torch.Tensor:
            if allowed_mask is None:
                return torch.zeros(shape)
            return (~torch.tensor(allowed_mask, dtype=torch.bool)).float() * FORBIDDEN

        self.register_buffer("transition_penalty", penalty(allowed, (num_tags, num_tags)), persistent=False)
        self.register_buffer("start_penalty", penalty(start_allowed, (num_tags,)), persistent=False)
        self.register_buffer("end_penalty", penalty(end_allowed, (num_tags,)), persistent=False)

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (self.transitions + self.transition_penalty, self.start + self.start_penalty,
                self.end + self.end_penalty)

    def _forward(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """Log forward variables ``alpha_t`` (batch, tags) for every position; padding repeats the last one."""
        transitions, start, _ = self._scores()
        alpha = start + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.size(1)):
            step = torch.logsumexp(alpha.unsqueeze(2) + transitions, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t, None], step, alpha)
            alphas.append(alpha)
        return alphas

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of ``tags`` per sentence, shape (batch,)."""
        transitions, start, end = self._scores()
        maskf = mask.float()
        lengths = mask.sum(1)
        gold = start[tags[:, 0]] + (emissions.gather(2, tags.unsqueeze(2)).squeeze(2) * maskf).sum(1)
        gold = gold + (transitions[tags[:, :-1], tags[:, 1:]] * maskf[:, 1:]).sum(1)
        gold = gold + end[tags.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)]
        log_z = torch.logsumexp(self._forward(emissions, mask)[-1] + end, dim=1)
        return log_z - gold

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """The best tag sequence of each sentence (lists as long as the sentence)."""
        transitions, start, end = self._scores()
        batch, length, _ = emissions.shape
        score = start + emissions[:, 0]
        history = []
        for t in range(1, length):
            best, index = (score.unsqueeze(2) + transitions).max(dim=1)
            score = torch.where(mask[:, t, None], best + emissions[:, t], score)
            history.append(index)
        current = (score + end).argmax(dim=1)
        lengths = mask.sum(1)
        path = torch.empty(batch, length, dtype=torch.long)
        for t in range(length - 1, -1, -1):
            path[:, t] = current
            if t:
                # Step back only inside the sentence; past its end the last tag is carried unchanged.
                previous = history[t - 1].gather(1, current.unsqueeze(1)).squeeze(1)
                current = torch.where(t < lengths, previous, current)
        return [row[:n] for row, n in zip(path.tolist(), lengths.tolist())]

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """P(tag at position t) for every position, shape (batch, length, tags).

        Forward-backward in probability space with per-step normalisation: a matrix product per step instead of a
        log-sum-exp over (batch, tags, tags), several times faster, and exact up to float rounding (forbidden
        transitions become exact zeros). Inference only: training uses the log-space ``nll``.
        """
        transitions, start, end = self._scores()
        steps = torch.exp(transitions - transitions.max())
        # Shift each position's emissions by its maximum: the shift cancels in the per-step normalisation.
        local = torch.exp(emissions - emissions.max(dim=2, keepdim=True).values)
        length = emissions.size(1)
        alpha = torch.exp(start - start.max()) * local[:, 0]
        alpha = alpha / alpha.sum(1, keepdim=True)
        alphas = [alpha]
        for t in range(1, length):
            step = (alpha @ steps) * local[:, t]
            alpha = torch.where(mask[:, t, None], step / step.sum(1, keepdim=True), alpha)
            alphas.append(alpha)
        beta = torch.exp(end - end.max()).expand(emissions.size(0), -1)
        betas = [beta]
        for t in range(length - 1, 0, -1):
            step = (local[:, t] * beta) @ steps.T
            # A padded position t keeps the end weights for the last real position before it.
            beta = torch.where(mask[:, t, None], step / step.sum(1, keepdim=True), beta)
            betas.append(beta)
        betas.reverse()
        joint = torch.stack(alphas, 1) * torch.stack(betas, 1)
        return joint / joint.sum(2, keepdim=True).clamp_min(1e-30)
