"""School-improvement partnerships: schools, triads, clinics and support."""
