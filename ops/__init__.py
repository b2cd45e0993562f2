"""Operations tools around `pulumi up`: post-deploy verification, restore drill, rollback.

They read a stack's outputs (`pulumi stack output --json`, or a file holding that JSON) and talk to AWS
with boto3. Nothing here imports components/ or infra/: the tools judge what is deployed, not the program.
"""
