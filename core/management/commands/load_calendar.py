from django.core.management.base import BaseCommand

from core import calendar, clock, holidays


class Command(BaseCommand):
    help = (
        "Load every year the chinesecalendar package knows (holidays and make-up working days) into the "
        "holiday calendar. Days and years an administrator entered or edited are left as they are; a second "
        "run with the same package changes nothing."
    )

    def handle(self, *args, **options):
        load = holidays.calendar_load()
        span = f"{load.years[0]}–{load.years[-1]}" if load.years else "no year"
        self.stdout.write(
            f"Holiday calendar ({holidays.PACKAGE} {load.version}): {span}; "
            f"{load.created} days added, {load.updated} changed, {load.deleted} removed"
            + (f", {load.kept_days} kept as an administrator entered them" if load.kept_days else "")
            + "."
        )
        if load.kept_years:
            self.stdout.write(f"Kept by hand by an administrator, not loaded: {', '.join(map(str, load.kept_years))}.")
        missing = calendar.missing_years_ahead(clock.today())
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    f"No calendar for {', '.join(map(str, missing))}: deadlines there skip only the weekends. "
                    "Upgrade chinesecalendar and run this again, or enter the year in the admin."
                )
            )
