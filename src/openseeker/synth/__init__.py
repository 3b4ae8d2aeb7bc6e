"""Data synthesis: fact-grounded multi-hop QA pairs (``synth.qa``) and denoised trajectories.

Modules are imported on use (``from openseeker.synth.qa import run_qa_synthesis``) so that importing one
stage does not pull in the other.
"""
