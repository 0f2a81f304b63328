## guards.R — stress/guards.json and its synthetic inputs (METHODS §13 guards against
## overclaiming, §12 precision flag; REFGEN "Guards", "Precision flag").
##
## Set 1, province "TB" (tỉnh Thái Bảo, invented), 2023 and 2024:
##   TB            province centre, ordinary sample (40 / 42 forms, one blank form in 2024)
##   TB.101        district, ordinary sample (30 / 32)
##   TB.101.01     commune, five identical forms each year, 210 / 220 receipts (not a census):
##                 overall index 0.05 in 2023, 0.95 in 2024 -> V = 0 from a sample both years
##   TB.101.02     commune, census (8 of 8 receipts both years), identical forms within a year,
##                 0.60 -> 0.80: an exact difference
##   TB.101.03     commune, census (6 of 6), varied answers, the same six forms both years: d = 0
##   TB.101.04     commune, 4 forms in 2023, one form in 2024 (n = 1 on the stratified basis)
##   every respondent is satisfied with A0 in both years (province-wide V = 0 from a sample);
##   C5 is answered by one respondent in 2024 (TB), by 17 in 2023.
## Set 2, province "CG" (tỉnh Cẩm Giang, invented): two communes, both censuses in both
##   years (7 of 7, 5 of 5), varied answers, satisfaction up in 2024; B2 has the same answers
##   in both years (d = 0); one respondent of CG.02 leaves E3 blank in 2024 (E3 is then no
##   census in CG.02: m = 4 of 5).
## Cases: `--year 2024 --baseline 2023` on each set: every index on both bases with changes
## and Holm, agency rows on both bases with rank ranges, `indicative` flags.
##
## The synthetic answers come from a seeded generator (set.seed below); the CSV files are
## committed, so the reference does not depend on R's random-number stream.
##
## Usage: Rscript internal/index/testdata/r/guards.R

local({
  a <- commandArgs(FALSE)
  me <- normalizePath(sub("^--file=", "", a[grep("^--file=", a)]))
  source(file.path(dirname(me), "lib.R"))
})
t_start <- proc.time()[["elapsed"]]
dir.create(td("stress"), showWarnings = FALSE)
set.seed(20250613)

## ---- a small generator of realistic forms -------------------------------------------------
## Respondent i has a latent satisfaction u_i; each answer is satisfied (4-5) with probability
## plogis(level + 1.2 u_i); about 3% of answers are blank, 15% of E3 ("not applicable").
COMMENTS <- c("Cán bộ hướng dẫn tận tình, thủ tục nhanh.",
              "Phải chờ lâu, nên có thêm quầy vào buổi sáng.",
              "Đề nghị niêm yết rõ phí, lệ phí \"đúng quy định\".",
              "Trang dịch vụ công trực tuyến, hay bị lỗi khi tải hồ sơ lên.")
gen_forms <- function(n, level, blank_rate = 0.03) {
  u <- rnorm(n)
  M <- matrix(NA_integer_, n, length(QUESTIONS), dimnames = list(NULL, QUESTIONS))
  for (q in QUESTIONS) {
    sat <- runif(n) < plogis(level + 1.2 * u)
    M[, q] <- ifelse(sat, sample(4:5, n, TRUE, prob = c(0.55, 0.45)), sample(1:3, n, TRUE, prob = c(0.15, 0.3, 0.55)))
    rate <- if (q == "E3" && blank_rate > 0) 0.15 else blank_rate
    M[runif(n) < rate, q] <- NA
  }
  M
}
## A form given as "satisfied" questions (5) and the rest (3), or a full answer vector.
fixed_form <- function(satisfied, sat_value = 5L, other = 3L) {
  v <- setNames(rep(other, length(QUESTIONS)), QUESTIONS); v[satisfied] <- sat_value; v
}
## submitted_at in the year, Asia/Ho_Chi_Minh: dates, +07:00 timestamps and UTC "Z" forms
stamp <- function(year, n, first_hours = FALSE) {
  day <- as.Date(sprintf("%d-01-01", year)) + sample(0:364, n, TRUE)
  secs <- sample((7 * 3600):(17 * 3600), n, TRUE)
  if (first_hours) { day[1] <- as.Date(sprintf("%d-01-01", year)); secs[1] <- 1 * 3600 + 50 * 60 }
  local <- as.POSIXct(paste(day, "00:00:00"), tz = "UTC") + secs
  fmt <- sample(c("date", "local", "utc"), n, TRUE, prob = c(0.4, 0.4, 0.2))
  if (first_hours) fmt[1] <- "utc"
  ifelse(fmt == "date", format(local, "%Y-%m-%d", tz = "UTC"),
         ifelse(fmt == "local", format(local, "%Y-%m-%dT%H:%M:%S+07:00", tz = "UTC"),
                format(local - 7 * 3600, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")))
}
forms_df <- function(prefix, year, agency, M, start, channel = NULL, first_hours = FALSE) {
  n <- nrow(M)
  if (is.null(channel)) channel <- sample(CHANNELS, n, TRUE, prob = c(0.7, 0.25, 0.05))
  if (first_hours) channel[1] <- "online"          # 01:50 on 1 January: only online is open
  d <- data.frame(response_id = sprintf("%s%02d-%04d", prefix, year %% 100, start + seq_len(n) - 1),
                  agency_code = agency, channel = channel, submitted_at = stamp(year, n, first_hours))
  d <- cbind(d, as.data.frame(M))
  d$comment <- ifelse(runif(n) < 0.15, sample(COMMENTS, n, TRUE), "")
  d
}
write_responses <- function(d, path) {
  write.csv(d, path, row.names = FALSE, na = "", fileEncoding = "UTF-8")
}
rbind_forms <- function(lst) {
  d <- do.call(rbind, lst); rownames(d) <- NULL; d
}
identical_forms <- function(k, v) matrix(rep(v, each = k), k, length(QUESTIONS), dimnames = list(NULL, QUESTIONS))

## ---- set 1: TB ----------------------------------------------------------------------------------------
tb_agencies <- data.frame(
  code = c("TB", "TB.101", "TB.101.01", "TB.101.02", "TB.101.03", "TB.101.04"),
  name = c("Trung tâm Phục vụ hành chính công tỉnh Thái Bảo", "UBND huyện Đông Sơn", "UBND xã Đông Hòa",
           "UBND xã Đông Lâm", "UBND xã Đông Phú", "UBND xã Đông Thịnh"),
  level = c("province", "district", "commune", "commune", "commune", "commune"),
  parent_code = c("", "TB", "TB.101", "TB.101", "TB.101", "TB.101"))
tb_pops <- data.frame(year = rep(c(2023L, 2024L), each = 6), agency_code = rep(tb_agencies$code, 2),
                      receipts = c(4200, 1800, 210, 8, 6, 55, 4500, 1900, 220, 8, 6, 60))
A_ <- ASPECTS
tb_year <- function(year) {
  lev <- if (year == 2023) 1.1 else 1.3
  tb <- gen_forms(if (year == 2023) 40 else 42, lev)
  d101 <- gen_forms(if (year == 2023) 30 else 32, lev - 0.2)
  # five identical forms: 2023 only A0 satisfied (overall 0.05), 2024 all but A3 (overall 0.95)
  f01 <- identical_forms(5, if (year == 2023) fixed_form("A0", 4L, 2L) else fixed_form(setdiff(QUESTIONS, "A3")))
  # census, identical within the year: 2023 aspects A, B, C satisfied (0.60), 2024 A-D (0.80)
  f02 <- identical_forms(8, if (year == 2023) fixed_form(c(A_$A, A_$B, A_$C)) else fixed_form(c(A_$A, A_$B, A_$C, A_$D)))
  # census, varied answers, the same six forms both years (same seed)
  f03 <- local({ s <- .Random.seed; set.seed(3003); m <- gen_forms(6, 1.0, 0); assign(".Random.seed", s, envir = .GlobalEnv); m })
  f04 <- gen_forms(if (year == 2023) 4 else 1, lev)
  all <- list(tb, d101, f01, f02, f03, f04)
  # A0 satisfied by everyone, both years
  for (j in seq_along(all)) all[[j]][, "A0"] <- ifelse(is.na(all[[j]][, "A0"]) | all[[j]][, "A0"] < 4, 4L, all[[j]][, "A0"])
  if (year == 2023) {
    all[[1]][, "C5"] <- NA; all[[1]][1:12, "C5"] <- c(5L, 4L, 4L, 2L, 5L, 3L, 4L, 5L, 4L, 1L, 4L, 5L)
    all[[2]][, "C5"] <- NA; all[[2]][1:5, "C5"] <- c(4L, 3L, 5L, 4L, 2L)
  } else {
    all[[1]][, "C5"] <- NA; all[[1]][7, "C5"] <- 5L        # one answer to C5 in 2024
    all[[2]][, "C5"] <- NA
    all[[1]][42, ] <- NA                                   # a blank form (counts in respondents only)
  }
  for (j in 3:6) all[[j]][, "C5"] <- NA
  codes <- tb_agencies$code
  start <- 1
  out <- list()
  for (j in seq_along(all)) {
    out[[j]] <- forms_df("TB", year, codes[j], all[[j]], start, first_hours = (j == 1))
    start <- start + nrow(all[[j]])
  }
  rbind_forms(out)
}
tb23 <- tb_year(2023); tb24 <- tb_year(2024)
write.csv(tb_agencies, td("stress", "guards_agencies.csv"), row.names = FALSE, fileEncoding = "UTF-8")
write.csv(tb_pops, td("stress", "guards_populations.csv"), row.names = FALSE, fileEncoding = "UTF-8")
write_responses(tb23, td("stress", "guards_responses_2023.csv"))
write_responses(tb24, td("stress", "guards_responses_2024.csv"))

## ---- set 2: CG (every stratum a census) -------------------------------------------------------------
cg_agencies <- data.frame(code = c("CG", "CG.01", "CG.02"),
                          name = c("Trung tâm Phục vụ hành chính công tỉnh Cẩm Giang", "UBND xã Cẩm Hà", "UBND xã Cẩm Sơn"),
                          level = c("province", "commune", "commune"), parent_code = c("", "CG", "CG"))
cg_pops <- data.frame(year = rep(c(2023L, 2024L), each = 2), agency_code = rep(c("CG.01", "CG.02"), 2),
                      receipts = c(7, 5, 7, 5))
m01 <- list(gen_forms(7, 0.4, 0), gen_forms(7, 1.4, 0))
m02 <- list(gen_forms(5, 0.2, 0), gen_forms(5, 1.2, 0))
for (m in c("m01", "m02")) { x <- get(m); x[[2]][, "B2"] <- x[[1]][, "B2"]; assign(m, x) }   # B2: same answers
m02[[2]][3, "E3"] <- NA
cg <- lapply(1:2, function(t) {
  yr <- c(2023, 2024)[t]
  rbind_forms(list(forms_df("CG", yr, "CG.01", m01[[t]], 1), forms_df("CG", yr, "CG.02", m02[[t]], 8)))
})
write.csv(cg_agencies, td("stress", "guards_census_agencies.csv"), row.names = FALSE, fileEncoding = "UTF-8")
write.csv(cg_pops, td("stress", "guards_census_populations.csv"), row.names = FALSE, fileEncoding = "UTF-8")
write_responses(cg[[1]], td("stress", "guards_census_responses_2023.csv"))
write_responses(cg[[2]], td("stress", "guards_census_responses_2024.csv"))

## ---- the reports (read back from the files, as sipas would import them) -----------------------------
run <- function(prefix, name) {
  files <- paste0("stress/", prefix, c("agencies.csv", "populations.csv", "responses_2023.csv", "responses_2024.csv"))
  ag <- read_agencies(td(files[1])); pops <- read_populations(td(files[2]))
  resp <- read_responses(td(files[3:4]))
  stopifnot(all(resp$year == resp$file_year))            # each file holds its own year (Vietnam time)
  b <- build_report(resp, pops, ag$code, 2024, 2023, label = prefix)
  stress_case(name, inputs_obj(files[1], files[2], files[3:4]), c("--year", "2024", "--baseline", "2023"), b)
}
cases <- list(run("guards_", "guards: n = 1, zero variance from a sample, census"),
              run("guards_census_", "guards: every stratum a census"))

## ---- summary of the guarded outcomes -----------------------------------------------------------------
for (cs in cases) {
  cat("\n", cs$name, "\n")
  ix <- cs$report$indices
  for (x in ix) {
    s <- x$stratified; c1 <- x$change$stratified; cu <- x$change$unweighted
    if (x$id %in% c("A0", "B2", "C5", "E3", "A", "B", "C", "E", "overall"))
      cat(sprintf("  %-7s strat est %s se %s n %d ind %s | change d %s se %s p %s %s | unw %s p %s\n", x$id,
                  format(s$estimate, digits = 4), format(s$se, digits = 3), s$n, format(s$indicative),
                  format(c1$diff, digits = 4), format(c1$se, digits = 3), format(c1$p_value, digits = 3), c1$verdict,
                  cu$verdict, format(cu$p_value, digits = 3)))
  }
  for (r in cs$report$agencies) {
    s <- r$stratified
    cat(sprintf("  %-10s n %2d strat %s se %s [%s, %s] rank %d-%d ind %s | change d %s se %s p %s %s holm %s | unw %s\n",
                r$agency, r$n, format(s$estimate, digits = 4), format(s$se, digits = 3), format(s$ci_low, digits = 4),
                format(s$ci_high, digits = 4), s$rank_low, s$rank_high, s$indicative, format(s$change$diff, digits = 4),
                format(s$change$se, digits = 3), format(s$change$p_value, digits = 3), s$change$verdict,
                s$change$verdict_holm, r$change$verdict))
  }
}
sc <- selfcheck_table()
cat(sprintf("\nsurvey cross-checks: %d values, max |hand - survey| %.3g\n", nrow(sc), max(sc$absdiff)))
stopifnot(max(sc$absdiff) < 1e-15)

out <- td("stress", "guards.json")
write_json_file(stress_file(paste(
  "Guards of METHODS 13 on synthetic sets (inputs in stress/guards_*.csv, made by this script):",
  "n = 1 on the stratified basis gives null se/CI/n_eff/deff and insufficient_data changes (diff kept);",
  "a change with V1 + V0 = 0 from a sample is insufficient_data (stratified z and unweighted Welch);",
  "a census everywhere keeps its exact difference (se 0, CI [d, d], p 0 or 1); `indicative` per",
  "REFGEN (census never indicative). Newcombe (unweighted questions) is unchanged."), cases), out)
cat("wrote", out, sprintf("(%.1f s)\n", proc.time()[["elapsed"]] - t_start))
