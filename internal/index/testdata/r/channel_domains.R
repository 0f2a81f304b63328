## channel_domains.R — stress/channel_domains.json: `sipas report --year 2024 --baseline 2023
## --channel C` on the main refdata for C = counter, online, postal (METHODS §13 "Filters are
## domains", REFGEN "Channel filters are domains of the full design").
##
## Stratified basis: every index is a domain of the year's full design (all channels):
## questions svymean(~y, subset(des_k, channel == C)); aspects/overall the linearisation of
## REFGEN with V = vcov(svytotal(~lin, des_index)).  Unweighted basis: the channel's
## respondents on their own.  Agency rows: stratified basis, one stratum per agency,
## restricted to the domain; Holm and rank ranges over the agencies of the report.
##
## Self-checks printed at the end (and stopped on if they fail):
##  1. the hand formula equals survey on the full design: svymean on the subset design for
##     questions, svytotal(~lin) for aspects/overall, both years, every channel;
##  2. with "every channel" as the domain the formula gives the variances of the shared
##     refdata/expected/2024_vs_2023_raw.json (current and baseline, every index).
##
## Usage: Rscript internal/index/testdata/r/channel_domains.R

local({
  a <- commandArgs(FALSE)
  me <- normalizePath(sub("^--file=", "", a[grep("^--file=", a)]))
  source(file.path(dirname(me), "lib.R"))
})
t_start <- proc.time()[["elapsed"]]
REF <- td("refdata")
ag <- read_agencies(file.path(REF, "agencies.csv"))
pops <- read_populations(file.path(REF, "populations.csv"))
resp <- read_responses(file.path(REF, c("responses_2023.csv", "responses_2024.csv")))
inputs <- inputs_obj("refdata/agencies.csv", "refdata/populations.csv",
                     c("refdata/responses_2023.csv", "refdata/responses_2024.csv"))

## ---- the three reports --------------------------------------------------------------
cases <- lapply(CHANNELS, function(ch) {
  b <- build_report(resp, pops, ag$code, 2024, 2023, channel = ch, indicative = FALSE,
                    label = paste("channel", ch))
  stress_case(paste("channel", ch), inputs,
              c("--year", "2024", "--baseline", "2023", "--channel", ch), b)
})

## ---- self-check 1: hand formula vs survey on the full design ---------------------------
sc <- selfcheck_table()
sc$type <- ifelse(grepl("question est", sc$what), "question estimate vs svymean(subset)",
           ifelse(grepl("question var", sc$what), "question variance vs svymean(subset)",
                  "aspect/overall variance vs svytotal(~lin)"))
cat("self-check 1: hand formula against survey on the full design (2 years x 3 channels)\n")
for (t in unique(sc$type)) {
  s <- sc[sc$type == t, ]
  rel <- s$absdiff / pmax(abs(s$survey), 1e-300)
  cat(sprintf("  %-45s %3d values  max |diff| %.3g  max rel %.3g\n", t, nrow(s), max(s$absdiff), max(rel)))
}
stopifnot(max(sc$absdiff) < 1e-15)

## ---- self-check 1b: an independent route through survey (aspects/overall) -------------
## The domain index is a smooth function of design totals of the full design:
##   A = sum_k c_k Num_k / Den_k,  Num_k = sum_h N_h Tx_hk / Tr_hk,  Den_k = sum_h N_h Tm_hk / Tr_hk
## with Tx = total of r*y*I, Tm = total of r*I, Tr = total of r in stratum h.  svytotal gives
## the joint covariance of all these totals (survey's own centring); the delta method then
## gives V = g' Cov g.  For strata with n_h >= 2 this is the same linearisation as REFGEN's
## closed form; a lonely stratum (n_h = 1) has a degenerate ratio there (zero influence), while
## METHODS §7 / REFGEN centre it at the grand estimate, so V_REFGEN - V_delta must equal the
## lonely strata's (1 - f_h) e_i^2 exactly.
delta_var <- function(id, yd, dom) {
  r <- stratified_index(id, yd, dom)
  qs <- index_questions(id); kept <- setdiff(qs, r$dropped)
  R <- !is.na(yd$Y[, qs, drop = FALSE]); S <- rowSums(R) > 0
  Y0 <- yd$Y[S, qs, drop = FALSE]; R <- R[S, , drop = FALSE]; Y0[!R] <- 0
  I <- dom[S]; st <- yd$agency[S]
  des <- svydesign(ids = ~1, strata = ~st, fpc = ~N, data = data.frame(st = st, N = yd$N[st]))
  blocks <- list(); X <- NULL
  for (k in kept) for (h in sort(unique(st), method = "radix")) {
    inh <- st == h
    if (!any(R[inh, k])) next
    X <- cbind(X, Y0[, k] * I * inh, R[, k] * I * inh, R[, k] * inh)
    blocks[[length(blocks) + 1]] <- list(k = k, h = h)
  }
  tot <- svytotal(X, des); Tt <- coef(tot); Cv <- vcov(tot)
  g <- numeric(length(Tt)); A <- 0
  for (k in kept) {
    jb <- which(sapply(blocks, `[[`, "k") == k)
    Nh <- yd$N[sapply(blocks[jb], `[[`, "h")]
    Tx <- Tt[3 * jb - 2]; Tm <- Tt[3 * jb - 1]; Tr <- Tt[3 * jb]
    Num <- sum(Nh * Tx / Tr); Den <- sum(Nh * Tm / Tr); p <- Num / Den; ck <- r$c[[k]]
    A <- A + ck * p
    g[3 * jb - 2] <- ck * Nh / (Tr * Den)
    g[3 * jb - 1] <- -ck * p * Nh / (Tr * Den)
    g[3 * jb]     <- -ck * Nh * (Tx - p * Tm) / (Tr^2 * Den)
  }
  hi <- match(r$stratum_rows, r$strata)
  lone <- which(r$nh[hi] == 1)
  list(A = A, V = as.numeric(t(g) %*% Cv %*% g), V_refgen = r$V, A_refgen = r$est,
       lonely = sum((1 - r$f[hi[lone]]) * r$e[lone]^2))
}
cat("self-check 1b: REFGEN closed form vs delta method on svytotal of the design totals (full design)\n")
for (yr in c(2024, 2023)) {
  yd <- year_data(resp, pops, yr)
  dl <- do.call(rbind, lapply(CHANNELS, function(ch) do.call(rbind, lapply(c(names(ASPECTS), "overall"), function(id) {
    x <- delta_var(id, yd, yd$channel == ch)
    data.frame(ch = ch, id = id, dA = abs(x$A - x$A_refgen), dV = abs(x$V_refgen - x$lonely - x$V),
               lonely = x$lonely, rel = abs(x$V_refgen - x$lonely - x$V) / x$V)
  }))))
  cat(sprintf("  %d: %d indices, max |A - A_delta| %.3g, max |V_REFGEN - lonely - V_delta| %.3g (rel %.3g), lonely-stratum term max %.3g\n",
              yr, nrow(dl), max(dl$dA), max(dl$dV), max(dl$rel), max(dl$lonely)))
  stopifnot(max(dl$dA) < 1e-12, max(dl$rel) < 1e-9)
}

## ---- self-check 2: "every channel" as the domain = METHODS §3 ---------------------------
## The domain formula with I_c(i) = 1 for every channel must give the shared expected se's.
exp_raw <- fromJSON(file.path(REF, "expected", "2024_vs_2023_raw.json"), simplifyVector = FALSE)
worst <- 0; count <- 0
for (yr in c(2024, 2023)) {
  yd <- year_data(resp, pops, yr)
  blk <- if (yr == 2024) exp_raw$current else exp_raw$baseline
  every <- yd$channel %in% CHANNELS
  for (id in index_ids()) {
    r <- stratified_index(id, yd, dom = every)
    e <- if (id %in% QUESTIONS) blk$questions[[id]]$stratified else if (id %in% names(ASPECTS))
      blk$aspects[[id]]$stratified else blk$overall$stratified
    worst <- max(worst, abs(sqrt(r$V) - e$se), abs(r$est - e$est)); count <- count + 2
  }
}
cat(sprintf("self-check 2: every channel as the domain vs refdata/expected/2024_vs_2023_raw.json: %d values (se and estimate, both years), max |diff| %.3g\n",
            count, worst))
stopifnot(worst < 1e-12)

out <- td("stress", "channel_domains.json")
dir.create(dirname(out), showWarnings = FALSE)
write_json_file(stress_file(paste(
  "Channel filters as domains of the full design (METHODS 13, REFGEN 'Channel filters are domains'):",
  "stratified estimates are svymean(~y, subset(des, channel == c)) / the REFGEN linearisation with",
  "svytotal(~lin) on the year's full design; unweighted basis = the channel's respondents alone;",
  "agency rows stratified basis, one stratum, restricted to the domain; agencies without respondents",
  "in the channel are left out; Holm over questions per basis."), cases), out)
cat("wrote", out, sprintf("(%.1f s)\n", proc.time()[["elapsed"]] - t_start))
