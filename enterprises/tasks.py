from celery import shared_task


@shared_task(acks_late=True)
def run_import_job(job_id: int, mode: str) -> None:
    """Check (dry run) or apply an uploaded master-data sheet."""
    from .services import import_job_run

    import_job_run(job_id, mode)


@shared_task
def resume_import_jobs() -> int:
    """Beat's quarter hour: queue again the import jobs no worker has taken."""
    from .services import import_jobs_resume

    return import_jobs_resume()
