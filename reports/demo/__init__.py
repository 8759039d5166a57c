"""DEMO ONLY, not for production.

A throw-away certificate authority, test certificates, signature and seal images
(`pki`), and the demo commune's test signing keys (`signing`). Everything made here says
THỬ NGHIỆM (TEST) where a person can see it; none of it has legal value. Real keys are
uploaded by an administrator (reports.services.signing_keys).
"""
